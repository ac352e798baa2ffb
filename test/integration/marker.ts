/** First console argument of every line the integration suite prints (see index.ts). */
export const SUITE_MARKER = '\u2063om-suite';

// Numbers and trace content as users read them in messages and Markdown hovers.

/** JSON of any value, cut to `max` characters; never throws (cycles, BigInt cannot occur in parsed JSON, but be safe). */
export function summarize(v: unknown, max = 200): string {
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > max ? s.slice(0, max - 1) + '…' : s;
}

/** Inline Markdown code that shows `s` verbatim: the fence is longer than any backtick run inside. */
export function inlineCode(s: string): string {
  let longest = 0;
  let run = 0;
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) === 96) {
      run++;
      if (run > longest) longest = run;
    } else run = 0;
  }
  const fence = '`'.repeat(longest + 1);
  const pad = longest > 0 || s.startsWith(' ') || s.endsWith(' ') ? ' ' : '';
  return `${fence}${pad}${s}${pad}${fence}`;
}

/** Plain text safe inside Markdown prose (names and ids from the trace). */
export function escapeMarkdown(s: string): string {
  return s.replace(/[\\`*_{}[\]()#+\-.!|<>~]/g, (c) => '\\' + c);
}

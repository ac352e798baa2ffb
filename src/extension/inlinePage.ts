// What may go inline in a webview page's HTML (replayHtml writes the styles and the bundle into the
// page instead of fetching them, see docs/performance.md "The page and the handshake"). No vscode import:
// unit-tested in plain Node.

/** Whether `text` can sit inside a <script> or <style> element as it is: the HTML parser would end
 *  the element at "</script" or "</style", and "<!--" switches a script to an escaped state. The
 *  build's bundle has none; should one appear, that file is fetched by URL instead, as before. */
export function inlineSafe(text: string): boolean {
  return !/<\/(script|style)|<!--/i.test(text);
}

/** The bundle's source map comment, made absolute: inline, a relative URL would resolve against
 *  the webview's page, not dist/webview/ (the map is for the developer tools only). */
export function withSourceMap(bundle: string, mapUrl: string): string {
  return bundle.replace(/\/\/# sourceMappingURL=main\.js\.map\s*$/, `//# sourceMappingURL=${mapUrl}`);
}

/** The replay webview's page around its styles and script (each already inline or a link): the CSP
 *  allows the nonce's elements and the webview's own resources only. Also what the page-start
 *  benchmark (bench/replayPageStart.bench.ts) opens, so it measures this page. */
export function pageHtml(p: { nonce: string; cspSource: string; styles: string[]; script: string }): string {
  const { nonce: n, cspSource: src } = p;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src ${src} data:; style-src ${src} 'nonce-${n}'; font-src ${src}; script-src 'nonce-${n}'; connect-src 'none';">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
${p.styles.join('\n')}
<title>Replay</title>
</head>
<body>
${p.script}
</body>
</html>`;
}

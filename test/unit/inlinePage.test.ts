// What the replay page may carry inline (replayHtml): the shipped styles and the minified bundle as
// built, and the fallback to a fetch for text the HTML parser would cut short.
import assert from 'node:assert/strict';
import * as esbuild from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { inlineSafe, pageHtml, withSourceMap } from '../../src/extension/inlinePage';

const root = path.resolve(__dirname, '../..');

test('text that would end or escape a <script> or <style> element is not inlined', () => {
  assert.equal(inlineSafe('const a = 1 < 2; body { color: red }'), true);
  for (const bad of ['x = "</script>"', 'x = "</SCRIPT"', '/* </style> */', 'x = "<!-- y"'])
    assert.equal(inlineSafe(bad), false, bad);
});

test('the shipped style sheets and the minified bundle go inline', async () => {
  for (const css of ['replay.css', 'calibration.css', 'curves.css'])
    assert.equal(inlineSafe(fs.readFileSync(path.join(root, 'media', css), 'utf8')), true, css);
  // built as esbuild.mjs builds it (minified: a minifier may join text into "</" or "<!--")
  const built = await esbuild.build({
    entryPoints: [path.join(root, 'webview/main.ts')],
    bundle: true,
    minify: true,
    platform: 'browser',
    format: 'iife',
    target: 'chrome120',
    write: false,
    logLevel: 'silent',
  });
  assert.equal(inlineSafe(built.outputFiles[0].text), true);
});

test("the bundle's source map comment is made absolute, nothing else changes", () => {
  const url = 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview/main.js.map';
  assert.equal(withSourceMap('a();\n//# sourceMappingURL=main.js.map\n', url), `a();\n//# sourceMappingURL=${url}`);
  assert.equal(
    withSourceMap('a("//# sourceMappingURL=main.js.map");b();', url),
    'a("//# sourceMappingURL=main.js.map");b();',
  );
});

test('the page puts its styles in the head and its script in the body, under a CSP naming the nonce', () => {
  const html = pageHtml({
    nonce: 'N0nce',
    cspSource: 'https://webview.test',
    styles: ['<style nonce="N0nce">a{}</style>'],
    script: '<script nonce="N0nce">go()</script>',
  });
  const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html)?.[1] ?? '';
  assert.match(csp, /^default-src 'none';/);
  assert.match(csp, /script-src 'nonce-N0nce';/);
  assert.match(csp, /style-src https:\/\/webview\.test 'nonce-N0nce';/);
  assert.match(csp, /connect-src 'none';/);
  const head = html.slice(html.indexOf('<head>'), html.indexOf('</head>'));
  const body = html.slice(html.indexOf('<body>'), html.indexOf('</body>'));
  assert.ok(head.includes('<style nonce="N0nce">a{}</style>') && !head.includes('<script'), head);
  assert.ok(body.includes('<script nonce="N0nce">go()</script>'), body);
});

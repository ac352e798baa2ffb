// The repository explains itself: every Markdown file a source, test, script or doc names, and every
// relative link in them, must exist in the repository (design notes kept outside it went stale
// unseen). Links to a heading of a Markdown file must name a heading that is there.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

const ROOT = path.resolve(__dirname, '../..');
/** what is scanned: the code, its tests, benchmarks, scripts, docs and examples */
const SCANNED = [
  'src',
  'webview',
  'test',
  'bench',
  'scripts',
  'docs',
  'examples',
  '.ci',
  '.vscode',
  'README.md',
  'esbuild.mjs',
  'package.json',
];
/** build output, caches and what running the product leaves behind: not the repository */
const NOT_REPO = new Set([
  '.git',
  'node_modules',
  'dist',
  'out',
  '.cache',
  '.vscode-test',
  'test-results',
  '.objective-monitor',
]);
const TEXT = /\.(ts|mts|js|mjs|cjs|json|md|sh|py|css|html)$|^run$/;

function walk(p: string, out: string[]): string[] {
  const st = fs.statSync(p, { throwIfNoEntry: false });
  if (!st) return out;
  if (st.isFile()) out.push(p);
  else if (st.isDirectory()) {
    for (const e of fs.readdirSync(p)) if (!NOT_REPO.has(e)) walk(path.join(p, e), out);
  }
  return out;
}

interface Reference {
  line: number;
  /** as written: a Markdown file's name or path, or a link target (with its #anchor) */
  target: string;
  kind: 'name' | 'link';
}

/** Names of .md files and relative Markdown links in a file's text. In code only link targets that
 *  look like paths count (`handlers[kind](args)` is a call, not a link). */
function references(text: string, markdown: boolean): Reference[] {
  const refs: Reference[] = [];
  text.split('\n').forEach((line, i) => {
    const links = new Set<string>();
    for (const m of line.matchAll(/\[[^\]\n]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      const t = m[1];
      if (/^[a-z][a-z0-9+.-]*:/i.test(t) || t.startsWith('#')) continue; // http:, command:, in-page anchors
      if (!markdown && !(/^[\w./-]+(#[\w-]*)?$/.test(t) && (t.includes('/') || /\.[a-z]+(#|$)/i.test(t)))) continue;
      refs.push({ line: i + 1, target: t, kind: 'link' });
      links.add(t.replace(/#.*$/, ''));
    }
    for (const m of line.matchAll(/(?<![\w\\/.:-])([\w./-]*\w\.md)\b/g)) {
      if (!links.has(m[1])) refs.push({ line: i + 1, target: m[1], kind: 'name' });
    }
  });
  return refs;
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}_\- ]/gu, '')
    .replace(/ /g, '-');
}

function anchorsOf(file: string): Set<string> {
  const out = new Set<string>();
  let fence = false;
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (line.startsWith('```')) fence = !fence;
    const m = !fence && /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (m) out.add(slug(m[1]));
  }
  return out;
}

/** Why `ref`, found in `file`, does not resolve; null when it does. */
function problem(ref: Reference, file: string, repoFiles: string[]): string | null {
  const [target, anchor] = ref.target.split('#');
  const candidates = [path.resolve(path.dirname(file), target), path.resolve(ROOT, target)];
  const found =
    candidates.find(
      (c) => c.startsWith(ROOT + path.sep) && fs.existsSync(c) && !c.split(path.sep).some((s) => NOT_REPO.has(s)),
    ) ??
    (ref.kind === 'name' && !target.includes('/') ? repoFiles.find((f) => path.basename(f) === target) : undefined);
  if (!found) return `${ref.target} is not in the repository`;
  if (anchor && found.endsWith('.md') && !anchorsOf(found).has(anchor))
    return `${path.relative(ROOT, found)} has no heading #${anchor}`;
  return null;
}

test('the scanner finds missing names and links, and accepts existing ones', () => {
  // built by concatenation so that this file itself names nothing that is missing
  const missing = 'NOTES' + '.md';
  const sample = [
    `// see ${missing} for why (${missing}: twice)`,
    `// see docs/testing.md and [the rules](docs/reliability.md#nothing-lost)`,
    `const f = handlers[kind](args); const g = x[i]({});`,
    `[gone](docs/${missing}) [web](https://example.com/a.md) [here](#terms)`,
  ].join('\n');
  const refs = references(sample, false);
  assert.deepEqual(
    refs.map((r) => [r.line, r.kind, r.target]),
    [
      [1, 'name', missing],
      [1, 'name', missing],
      [2, 'link', 'docs/reliability.md#nothing-lost'],
      [2, 'name', 'docs/testing.md'],
      [4, 'link', `docs/${missing}`],
    ],
  );
  const repo = walk(ROOT, []);
  const file = path.join(ROOT, 'src', 'x.ts');
  assert.match(problem(refs[0], file, repo) ?? '', /is not in the repository/);
  assert.equal(problem(refs[2], file, repo), null);
  assert.equal(problem(refs[3], file, repo), null);
  assert.match(
    problem({ line: 1, target: 'docs/reliability.md#no-such-part', kind: 'link' }, file, repo) ?? '',
    /has no heading #no-such-part/,
  );
  assert.equal(slug('Calibration (split conformal)'), 'calibration-split-conformal');
});

test('every .md file named and every relative link in the repository exists', () => {
  const repo = walk(ROOT, []);
  const files = SCANNED.flatMap((p) => walk(path.join(ROOT, p), [])).filter((f) => TEXT.test(path.basename(f)));
  assert.ok(files.length > 100, `scanned ${files.length} files`);
  const bad: string[] = [];
  for (const file of files) {
    for (const ref of references(fs.readFileSync(file, 'utf8'), file.endsWith('.md'))) {
      const why = problem(ref, file, repo);
      if (why) bad.push(`${path.relative(ROOT, file)}:${ref.line}: ${why}`);
    }
  }
  assert.deepEqual(bad, []);
});

test('every source path the docs and the README write in code quotes exists', () => {
  // `src/extension/traceCache.ts` in a design note is a pointer a reader follows; a rename left three
  // of them pointing at files that were gone
  const docs = [path.join(ROOT, 'README.md'), ...walk(path.join(ROOT, 'docs'), [])].filter((f) => f.endsWith('.md'));
  const bad: string[] = [];
  for (const file of docs) {
    fs.readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        for (const m of line.matchAll(/`((?:src|test|bench|webview|scripts|media|examples)\/[\w./-]*\w)`/g)) {
          if (!fs.existsSync(path.join(ROOT, m[1]))) bad.push(`${path.relative(ROOT, file)}:${i + 1}: ${m[1]}`);
        }
      });
  }
  assert.deepEqual(bad, []);
});

// E2E: opening a 1,000,000-step trace (128 MB) as a user does — "Objective Monitor: Open Trace in
// Replay", the file picked in its quick pick — draws the trace's first steps while the rest is read
// (the header says "reading the trace … showing its first N steps"), then the whole trace with its
// flag at step 900,000 and no reading note, and the Objective Monitor output names the open's phases.
// How fast this is lives in bench/replayOpen.bench.ts, not here.
// Screenshot of the early view: test-results/e2e-big-trace-early.png.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ROOT, startVscode, type VscodeSession } from '../integration/vscodeServer';
import { FLAG_AT, STEPS, writeMillionStepTrace } from '../millionStepTrace';
import { runCommand, waitUntil, webview } from './workbench';

const RESULTS = path.join(ROOT, 'test-results');
let session: VscodeSession | undefined;
let folder = '';

before(async () => {
  folder = fs.mkdtempSync(path.join(os.tmpdir(), 'om-e2e-big-'));
  writeMillionStepTrace(path.join(folder, 'big.trace.jsonl'));
  session = await startVscode({ folder, label: 'e2e-big' });
  await session.open([['extensionDevelopmentPath', ROOT]]);
});

after(async () => {
  await session?.close();
  fs.rmSync(folder, { recursive: true, force: true });
});

test(
  'a 1M-step trace shows its first steps while it is read, then the whole trace and its flag',
  { timeout: 300_000 },
  async () => {
    const page = session!.page;
    await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 60_000 });
    await session!.extensionHostReady();
    await runCommand(page, 'Objective Monitor: Open Trace in Replay');
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: 'big.trace.jsonl' }).first();
    await row.waitFor({ state: 'visible', timeout: 60_000 });
    await row.click();

    const view = webview(page);
    // the early view: the first chunk's steps drawn, the header saying how much is read
    const note = view.locator('.header-note', { hasText: 'reading the trace' });
    await note.waitFor({ state: 'visible', timeout: 120_000 });
    // what the early view shows, in one read: the whole trace may replace it at any moment. The chart
    // is drawn in the same frame as the header's note.
    const shownOf = (label: string) => /^Running objective, steps 0–(\d+) shown of 0–(\d+)\./.exec(label);
    const seen = await view.locator('body').evaluate(() => {
      const canvas = document.querySelector<HTMLCanvasElement>('.chart-canvas');
      const d = canvas?.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data;
      let painted = 0;
      if (d) for (let j = 3; j < d.length; j += 4) if (d[j] > 0) painted++;
      return {
        note: document.querySelector('.header-note')?.textContent ?? '',
        reason: document.querySelector('.h-reason')?.textContent ?? '',
        label: canvas?.getAttribute('aria-label') ?? '',
        slider: document.querySelector<HTMLInputElement>('.tl-slider')?.max ?? '',
        painted,
        size: canvas ? canvas.width * canvas.height : 0,
      };
    });
    const m = /reading the trace: ([\d.]+) of (\d+) MB so far; showing its first ([\d,]+) steps/.exec(seen.note);
    assert.ok(m, `reading note (was the early view drawn at all?): ${seen.note}`);
    const shown = Number(m[3].replace(/,/g, ''));
    assert.ok(shown > 0 && shown < STEPS, `the early view shows some of the ${STEPS} steps, not all: ${shown}`);
    assert.ok(Number(m[1]) < Number(m[2]), `read so far below the file's size: ${seen.note}`);
    assert.ok(seen.reason.includes(`reading · ${shown} steps (0–${shown - 1}) so far`), `early header: ${seen.reason}`);
    // the chart is of those steps, all of them in view, and painted; the slider reaches the last of them
    const axis = shownOf(seen.label);
    assert.ok(axis, `chart label: ${seen.label}`);
    assert.deepEqual([Number(axis[1]), Number(axis[2])], [shown - 1, shown - 1], `chart label: ${seen.label}`);
    assert.ok(seen.painted > seen.size / 100, `chart painted ${seen.painted} of ${seen.size} pixels`);
    assert.equal(seen.slider, String(shown - 1));
    fs.mkdirSync(RESULTS, { recursive: true });
    await page.screenshot({ path: path.join(RESULTS, 'e2e-big-trace-early.png') });

    // the whole trace: its flag in the header, the reading note gone
    const flag = view.locator('.h-flag', { hasText: new RegExp(`flagged at step ${FLAG_AT}\\b`) });
    await flag.waitFor({ state: 'visible', timeout: 240_000 });
    await note.waitFor({ state: 'detached', timeout: 10_000 });
    const reason = (await view.locator('.h-reason').textContent()) ?? '';
    assert.ok(reason.includes(`after ${STEPS} steps (0–${STEPS - 1})`), `header: ${reason}`);

    // the Objective Monitor output says what the open took, phase by phase (ms from the panel's
    // creation): the page set, the webview's ready, the first chunk read and its view posted, the
    // whole trace read and posted
    const logs = path.join(session!.dir, 'logs');
    const opened = await waitUntil('the "opened" line in the Objective Monitor output', () => {
      const log = fs
        .readdirSync(logs, { recursive: true })
        .map(String)
        .find((x) => x.endsWith('Objective Monitor.log'));
      const text = log ? fs.readFileSync(path.join(logs, log), 'utf8') : '';
      return /\[info\] opened big\.trace\.jsonl \(1,000,000 steps, 128 MB\): (.*)$/m.exec(text)?.[1];
    });
    const at = new Map(
      opened.split(', ').map((p) => {
        const m = /^(.*) \+(\d+) ms$/.exec(p);
        assert.ok(m, `phase "${p}" in: ${opened}`);
        return [m[1], Number(m[2])] as const;
      }),
    );
    assert.deepEqual(
      [...at.keys()],
      ['page set', 'webview ready', 'first chunk read', 'first view posted', 'read done', 'whole trace posted'],
      opened,
    );
    assert.ok(at.get('first chunk read')! < at.get('read done')!, opened);
    assert.ok(at.get('read done')! <= at.get('whole trace posted')!, opened);
  },
);

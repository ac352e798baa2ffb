// E2E: Show Trade-off Curves in the real workbench (Chromium driving the VS Code server). The
// workspace holds a copy of the corridor example with calibrations and recorded runs made by the
// CLI first; the command's pickers choose the scenario and agent, the panel draws the curves (legend
// in the DOM, pixels on both canvases), and a click on an alpha sets objectiveMonitor.detector.alpha
// in the workspace's settings.json, after which the panel's marker is at the new alpha.
// Screenshot: test-results/e2e-curves.png.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ROOT, startVscode, type VscodeSession } from '../integration/vscodeServer';
import { copyScenario } from '../scenarioCopy';
import { pick, runCommand, waitUntil, webview } from './workbench';

const RESULTS = path.join(ROOT, 'test-results');
let session: VscodeSession | undefined;
let folder = '';

function cli(...args: string[]): void {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'dist/cli.js'), ...args], {
    cwd: folder,
    encoding: 'utf8',
    timeout: 180_000,
  });
  assert.ok(r.status === 0 || r.status === 1, `${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
}

before(async () => {
  folder = fs.mkdtempSync(path.join(os.tmpdir(), 'om-e2e-curves-'));
  copyScenario(path.join(ROOT, 'examples/corridor/corridor.scenario.json'), folder);
  const s = 'corridor.scenario.json';
  cli('calibrate', s, '--agent', 'aligned');
  cli('calibrate', s, '--agent', 'misaligned');
  cli('run', s, '--agent', 'aligned', '--protocol', 'flag-only');
  cli('run', s, '--agent', 'misaligned', '--protocol', 'flag-only', '--guard', '--guard-record', 'all');
  session = await startVscode({ folder, label: 'e2e-curves' });
  await session.open([['extensionDevelopmentPath', ROOT]]);
});

after(async () => {
  await session?.close();
  fs.rmSync(folder, { recursive: true, force: true });
});

function workspaceAlpha(): number | undefined {
  const file = path.join(folder, '.vscode', 'settings.json');
  if (!fs.existsSync(file)) return undefined;
  try {
    return (JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, number>)['objectiveMonitor.detector.alpha'];
  } catch {
    return undefined; // written while we read
  }
}

test(
  'Show Trade-off Curves: the chart draws every curve; clicking an alpha sets the setting and moves the marker',
  { timeout: 300_000 },
  async () => {
    const page = session!.page;
    await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 60_000 });
    fs.mkdirSync(RESULTS, { recursive: true });

    await runCommand(page, 'Objective Monitor: Show Trade-off Curves');
    await page
      .locator('.quick-input-widget .quick-input-title', { hasText: 'Show Trade-off Curves' })
      .waitFor({ state: 'visible', timeout: 30_000 });
    await pick(page, 'corridor');
    await page
      .locator('.quick-input-widget .quick-input-title', { hasText: 'agent for corridor' })
      .waitFor({ state: 'visible', timeout: 30_000 });
    await pick(page, 'misaligned');

    const frame = webview(page);
    await frame
      .locator('.curves-title', { hasText: 'Trade-off curves: corridor / misaligned' })
      .waitFor({ timeout: 60_000 });
    assert.deepEqual(await frame.locator('.curves-legend .curves-label').allTextContents(), [
      'envelope',
      'window w=20',
      'cusum k=0.5',
      'fixed',
      'guard (cusum k=0.5)',
    ]);
    assert.match((await frame.locator('.curves-fixed').textContent()) ?? '', /no curve: no fixed threshold is set/);
    assert.match(
      (await frame.locator('.curves-source').textContent()) ?? '',
      /measured on aligned's recorded deployment episodes/,
    );
    // the default alpha 0.05 with 50 held-out episodes: rank 2, the alpha 2/51
    assert.match(
      (await frame.locator('.curves-current').textContent()) ?? '',
      /^alpha 0\.05 \(setting\): threshold at rank 2 of 50/,
    );
    assert.equal(await frame.locator('.curves-alpha[aria-pressed="true"]').textContent(), '0.03922');

    // both charts drew: opaque pixels on each canvas
    const canvases = frame.locator('canvas.curves-canvas');
    assert.equal(await canvases.count(), 2);
    const image = (i: number) =>
      canvases.nth(i).evaluate((c: HTMLCanvasElement) => {
        const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        let drawn = 0;
        for (let j = 3; j < d.length; j += 4) if (d[j] > 0) drawn++;
        return { drawn, url: c.toDataURL() };
      });
    const before0 = await image(0);
    assert.ok(before0.drawn > 1000, `detection chart drew ${before0.drawn} pixels`);
    assert.ok((await image(1)).drawn > 1000, 'delay chart drew');

    // a click on alpha 5/51 sets the workspace's alpha setting; the marker follows it
    await frame.locator('.curves-alpha', { hasText: /^0\.09804$/ }).click();
    const alpha = await waitUntil('the alpha in .vscode/settings.json', () => workspaceAlpha(), 30_000);
    assert.ok(Math.abs(alpha - 5 / 51) < 1e-12, `alpha ${alpha}`);
    await frame
      .locator('.curves-current', { hasText: /^alpha 0\.09804 \(setting\): threshold at rank 5 of 50/ })
      .waitFor({ timeout: 30_000 });
    assert.equal(await frame.locator('.curves-alpha[aria-pressed="true"]').textContent(), '0.09804');
    const after0 = await image(0);
    assert.notEqual(after0.url, before0.url, 'the marker moved on the chart');
    await page.screenshot({ path: path.join(RESULTS, 'e2e-curves.png') });
  },
);

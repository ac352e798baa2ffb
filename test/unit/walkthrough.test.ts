// The Get Started walkthrough's manifest: every step has its media file, a command button whose
// command exists, and completion events that can fire (declared commands and settings).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const declared = new Set<string>(pkg.contributes.commands.map((c: { command: string }) => c.command));
const settings = new Set<string>(
  pkg.contributes.configuration.flatMap((g: { properties: object }) => Object.keys(g.properties)),
);
// Workbench commands a step may use besides ours.
const workbench = new Set(['workbench.action.openSettings']);

interface Step {
  id: string;
  title: string;
  description: string;
  media: { markdown?: string; image?: string; altText?: string };
  completionEvents: string[];
}

test('the walkthrough has the five steps in order, each with a command button and its media file', () => {
  const [w] = pkg.contributes.walkthroughs as { id: string; title: string; steps: Step[] }[];
  assert.equal(w.id, 'gettingStarted');
  assert.deepEqual(
    w.steps.map((s) => s.id),
    ['createExample', 'runScenario', 'openFlag', 'tuneDetector', 'ownModule'],
  );
  for (const s of w.steps) {
    const links = [...s.description.matchAll(/\]\(command:([\w.]+)/g)].map((m) => m[1]);
    assert.equal(links.length, 1, `${s.id}: one command button`);
    assert.ok(declared.has(links[0]) || workbench.has(links[0]), `${s.id}: ${links[0]} is a command`);
    const media = s.media.markdown ?? s.media.image;
    assert.ok(media && fs.existsSync(path.join(root, media)), `${s.id}: media ${media} exists`);
    if (s.media.markdown)
      assert.match(fs.readFileSync(path.join(root, media), 'utf8'), /^# \S/, `${s.id}: the markdown has a title`);
    assert.ok(s.completionEvents.length > 0, `${s.id}: completes on something`);
    for (const e of s.completionEvents) {
      const [kind, arg] = e.split(':');
      if (kind === 'onCommand') assert.ok(declared.has(arg), `${s.id}: ${arg} is declared`);
      else if (kind === 'onSettingChanged') assert.ok(settings.has(arg), `${s.id}: ${arg} is a setting`);
      else assert.fail(`${s.id}: unexpected completion event ${e}`);
    }
  }
  const settingsLink = /command:workbench\.action\.openSettings\?([^)]+)\)/.exec(w.steps[3].description)!;
  assert.deepEqual(JSON.parse(decodeURIComponent(settingsLink[1])), ['objectiveMonitor.detector']);
});

test('the flag message action is contributed to the test message menus, hidden from the palette', () => {
  const menus = pkg.contributes.menus;
  for (const m of ['testing/message/context', 'testing/message/content']) {
    assert.deepEqual(
      menus[m].map((x: { command: string; when: string }) => [x.command, x.when]),
      [['objectiveMonitor.openReplayAtStep', 'testMessage == objectiveMonitor.flaggedStep']],
    );
  }
  assert.ok(
    menus.commandPalette.some(
      (x: { command: string; when: string }) => x.command === 'objectiveMonitor.openReplayAtStep' && x.when === 'false',
    ),
  );
  const src = fs.readFileSync(path.join(root, 'src/extension/testController.ts'), 'utf8');
  assert.match(src, /FLAG_MESSAGE_CONTEXT = 'objectiveMonitor\.flaggedStep'/);
});

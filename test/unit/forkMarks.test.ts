// The fork and blame marks in words (webview/forkMarks.ts): what the strip under the chart says, and
// which marks have a step to jump to. "No point of no return" must be said, not left out.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { marksText, type MarksState } from '../../webview/forkMarks';

const base: MarksState = { compare: null, blame: null, agent: 'push', steps: 9 };

test('no comparison and no blame: no marks', () => {
  assert.deepEqual(marksText(base), []);
});

test('a fork beside its parent: fork point, first different action and the gap at the fork flag', () => {
  const marks = marksText({
    ...base,
    compare: {
      role: 'fork',
      otherEpisodeId: 'e2',
      forkAgent: 'back',
      forkStep: 4,
      firstDifferentAction: 5,
      gap: { step: 12, at: 'flag', fork: -2, parent: 1.5 },
    },
  });
  assert.deepEqual(
    marks.map((m) => [m.kind, m.step]),
    [
      ['fork', 4],
      ['action', 5],
      ['gap', 12],
    ],
  );
  assert.equal(marks[0].text, '↳ fork point: step 4, compared with its fork (agent back)');
  assert.equal(marks[2].text, "Δ score gap -3.5 (fork -2 vs parent 1.5) at the fork's flag, step 12");
});

test('seen from the fork, with actions that never differ', () => {
  const marks = marksText({
    ...base,
    compare: {
      role: 'parent',
      otherEpisodeId: 'e1',
      forkAgent: 'back',
      forkStep: 0,
      firstDifferentAction: null,
      gap: null,
    },
  });
  assert.equal(marks[0].text, '↳ fork point: step 0, compared with its parent');
  assert.deepEqual(marks[1], {
    kind: 'action',
    step: null,
    text: '≠ no different action over the steps both episodes have',
  });
  assert.equal(marks.length, 2);
});

test('blame: the point of no return, or clearly that none was found', () => {
  const found = marksText({
    ...base,
    blame: { episodeId: 'e1', agent: 'back', flaggedStep: 8, pointOfNoReturn: 4, forks: 4, monotone: true },
  });
  assert.deepEqual(found, [
    {
      kind: 'blame',
      step: 4,
      text: '⊘ point of no return: step 4 — agent back taking over there avoids the flag at step 8, from step 5 on it cannot (4 forks)',
    },
  ]);
  const none = marksText({
    ...base,
    blame: { episodeId: 'e1', agent: 'back', flaggedStep: 8, pointOfNoReturn: null, forks: 2, monotone: true },
  });
  assert.equal(none[0].step, null);
  assert.match(
    none[0].text,
    /^⊘ no point of no return found: agent back taking over at any step up to the flag \(step 8\) is still flagged/,
  );
});

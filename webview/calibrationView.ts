// The calibration panel: while Calibrate Threshold (or a run calibrating first) goes, how many
// training episodes are done of how many, one cell per episode (finished ones coloured by how they
// ended, with seed, steps and final running objective on hover); when it is done, what it found:
// each detector's threshold, the false-alarm bound, the episodes used and where it was saved.
// The host sends the whole state each time (CalibrationParams); this redraws from it.

import type { CalibrationParams } from '../src/shared/webviewProtocol';
import { clear, h } from './dom';
import { numberText } from '../src/core/numberText';

/** More cells than this are summarised ("+N more"): a cell per episode stops being readable. */
const MAX_CELLS = 2000;

let root: HTMLElement | null = null;

/** Shows the calibration view in place of the replay (`replay`: the replay's root, hidden). */
export function showCalibration(replay: HTMLElement, p: CalibrationParams): void {
  replay.style.display = 'none'; // not `hidden`: the replay's stylesheet sets its display
  if (!root) {
    root = h('section', 'calibration');
    root.setAttribute('aria-live', 'polite');
    document.body.append(root);
  }
  clear(root);
  const done = p.episodes.length;
  const failed = p.episodes.filter((e) => e.reason !== 'completed').length;
  const title = {
    running: `Calibrating ${p.label}`,
    done: `Calibrated ${p.label}`,
    failed: `Calibration of ${p.label} failed`,
    stopped: `Calibration of ${p.label} stopped`,
  }[p.state];
  root.append(h('h2', 'cal-title', title));

  const count = p.total > 0 ? `${done} / ${p.total} training episodes` : `${done} training episodes`;
  root.append(
    h(
      'p',
      'cal-count',
      `${count}${failed ? ` · ${failed} did not complete` : ''}${p.state === 'running' && done === 0 ? ' · starting…' : ''}`,
    ),
  );
  const bar = h('div', 'cal-bar');
  bar.setAttribute('role', 'progressbar');
  bar.setAttribute('aria-valuemin', '0');
  bar.setAttribute('aria-valuemax', String(p.total || done));
  bar.setAttribute('aria-valuenow', String(done));
  const fill = h('div', 'cal-bar-fill');
  fill.style.width = `${p.total > 0 ? Math.min(100, (100 * done) / p.total) : p.state === 'running' ? 0 : 100}%`;
  bar.append(fill);
  root.append(bar);

  const grid = h('div', 'cal-grid');
  grid.setAttribute('aria-label', 'training episodes');
  const cells = Math.min(Math.max(p.total, done), MAX_CELLS);
  for (let i = 0; i < cells; i++) {
    const e = p.episodes[i];
    const cell = h('span', `cal-cell ${e ? (e.reason === 'completed' ? 'cal-ok' : 'cal-bad') : 'cal-pending'}`);
    cell.title = e
      ? `seed ${e.seed}: ${e.reason.replace(/_/g, ' ')}, ${e.steps} steps, final running objective ${numberText(e.finalScore)}`
      : 'not finished yet';
    grid.append(cell);
  }
  if (Math.max(p.total, done) > cells) grid.append(h('span', 'cal-more', `+${Math.max(p.total, done) - cells} more`));
  root.append(grid);

  if (p.message) root.append(h('p', 'cal-message', p.message));

  const r = p.result;
  if (r) {
    root.append(
      h(
        'p',
        'cal-episodes',
        `${r.fitEpisodes + r.conformalEpisodes} episodes used: ${r.fitEpisodes} fitted the model, ${r.conformalEpisodes} held out to set the thresholds (alpha ${numberText(r.alpha)})`,
      ),
    );
    const table = h('table', 'cal-result');
    const head = h('tr');
    for (const c of ['detector', 'threshold (native statistic)', 'false-alarm bound', ''])
      head.append(h('th', undefined, c));
    table.append(head);
    for (const d of r.detectors) {
      const row = h('tr', `cal-row cal-${d.kind}`);
      row.append(
        h('td', 'cal-kind', d.kind),
        h('td', 'cal-threshold', numberText(d.threshold)),
        h('td', 'cal-bound', `${d.k}/${d.n + 1} = ${numberText(d.bound)}`),
        h('td', 'cal-guarantee', d.guaranteed ? '' : 'not guaranteed: too few held-out episodes for this alpha'),
      );
      table.append(row);
    }
    root.append(table);
    for (const w of r.warnings) root.append(h('p', 'cal-warning', `warning: ${w}`));
    root.append(h('p', 'cal-file', `saved to ${r.file}`));
  }
}

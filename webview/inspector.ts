// The step inspector: the numbers of the current step (from the columns the panel already holds,
// so they follow the cursor at once) and the step's action, observation and info (asked from the
// host one step at a time). Text only, through textContent.

import type { StepDetailParams } from '../src/shared/webviewProtocol';
import { clear, h } from './dom';
import { formatNumber, stepOfText } from './format';
import { jsonTree } from './jsonTree';

export interface StepNumbers {
  step: number;
  steps: number;
  increment: number;
  score: number;
  threshold: number;
  statistic: number;
  flaggedStep: number | null;
  /** the episode went on after the flag (flag-only / fallback) */
  afterFlagDistinct: boolean;
}

type Row = 'increment' | 'score' | 'threshold' | 'margin' | 'statistic';
const ROWS: [Row, string][] = [
  ['increment', 'increment'],
  ['score', 'running objective'],
  ['threshold', 'threshold'],
  ['margin', 'margin'],
  ['statistic', 'statistic'],
];

export class Inspector {
  private readonly title: HTMLElement;
  private readonly badge: HTMLElement;
  private readonly cells = new Map<Row, HTMLElement>();
  private readonly extra: HTMLElement;
  private readonly sections: HTMLElement;
  private readonly toggled = new Map<string, boolean>();
  private shownDetail: StepDetailParams | null = null;

  constructor(root: HTMLElement) {
    const head = h('div', 'inspector-head');
    this.title = h('span', 'inspector-title', 'no step');
    this.badge = h('span', 'badge');
    head.append(this.title, this.badge);
    const table = h('dl', 'numbers');
    for (const [key, label] of ROWS) {
      const dd = h('dd', `num num-${key}`, '—');
      this.cells.set(key, dd);
      table.append(h('dt', undefined, label), dd);
    }
    this.extra = h('div', 'flags-line');
    this.sections = h('div', 'sections');
    root.append(head, table, this.extra, this.sections);
  }

  showNumbers(v: StepNumbers | null): void {
    if (!v) {
      this.title.textContent = 'no steps yet';
      this.badge.textContent = '';
      for (const c of this.cells.values()) c.textContent = '—';
      return;
    }
    this.title.textContent = stepOfText(v.step, v.steps);
    const margin = v.score - v.threshold;
    this.set('increment', v.increment);
    this.set('score', v.score);
    this.set('threshold', v.threshold);
    this.set('margin', margin);
    this.set('statistic', v.statistic);
    this.cells.get('margin')!.classList.toggle('negative', margin < 0);
    const f = v.flaggedStep;
    const badge =
      f === null ? '' : v.step === f ? '⚑ flagged step' : v.step > f && v.afterFlagDistinct ? 'after the flag' : '';
    this.badge.textContent = badge;
    this.badge.className = badge ? (v.step === f ? 'badge badge-flag' : 'badge badge-after') : 'badge';
  }

  /** `pending`: the detail for the current step was asked for and has not arrived yet. */
  showDetail(d: StepDetailParams | null, pending: boolean): void {
    if (d === this.shownDetail && !pending) return;
    this.shownDetail = d;
    clear(this.sections);
    clear(this.extra);
    if (!d) {
      this.sections.append(h('div', 'muted', pending ? 'loading step…' : 'no step selected'));
      return;
    }
    if (!d.available) {
      this.sections.append(h('div', 'muted', 'observation, action and info were not recorded (recording: scores)'));
      return;
    }
    const facts: string[] = [];
    if (d.reward !== undefined) facts.push(`reward ${formatNumber(d.reward)}`);
    if (d.terminated) facts.push('terminated');
    if (d.truncated) facts.push('truncated');
    if (d.fallback) facts.push('action from the safety protocol fallback');
    this.extra.textContent = facts.join(' · ');
    if (pending) this.sections.append(h('div', 'muted', `showing step ${d.step} while loading…`));
    for (const [name, value] of [
      ['action', d.action],
      ['observation', d.observation],
      ['info', d.info],
    ] as const) {
      const sec = h('section', 'section');
      sec.append(h('h3', undefined, name));
      sec.append(value === undefined ? h('div', 'muted', 'none') : jsonTree(value, this.toggled, name));
      this.sections.append(sec);
    }
  }

  private set(row: Row, x: number): void {
    const c = this.cells.get(row)!;
    c.textContent = formatNumber(x);
    c.title = String(x);
  }
}

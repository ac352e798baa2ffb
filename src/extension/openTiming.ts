// How long a replay panel took to open, phase by phase, said once per open in the Objective Monitor
// output (info level): where a slow open of a large trace spends its time (the webview's start-up,
// the read, the posting of the columns) shows there, on the user's own machine and in the benchmark
// (bench/replayOpen.bench.ts reads the line; the webview's side is in its performance marks).

/** the phases of an open, in the order they usually happen */
export type OpenPhase = 'page' | 'ready' | 'firstRead' | 'firstPosted' | 'read' | 'posted';

const LABELS: Record<OpenPhase, string> = {
  page: 'page set',
  ready: 'webview ready',
  firstRead: 'first chunk read',
  firstPosted: 'first view posted',
  read: 'read done',
  posted: 'whole trace posted',
};

export class OpenTiming {
  private readonly start = Date.now();
  private readonly at = new Map<OpenPhase, number>();
  private said = false;

  /** Notes that `phase` was reached now (the first time only). */
  mark(phase: OpenPhase): void {
    if (!this.at.has(phase)) this.at.set(phase, Date.now() - this.start);
  }

  /** The line for the output, once: ms from the panel's creation to each phase reached, e.g.
   *  "opened big.trace.jsonl (1,000,000 steps, 128 MB): webview ready +1500 ms, first chunk read
   *  +1520 ms, ...". Null after the first call (later loads of the same panel are not an open). */
  line(file: string, steps: number, bytes: number): string | null {
    if (this.said) return null;
    this.said = true;
    const parts = (Object.keys(LABELS) as OpenPhase[])
      .filter((p) => this.at.has(p))
      .map((p) => `${LABELS[p]} +${this.at.get(p)} ms`);
    const mb = (bytes / 2 ** 20).toFixed(bytes < 10 * 2 ** 20 ? 1 : 0);
    return `opened ${file} (${steps.toLocaleString('en')} steps, ${mb} MB): ${parts.join(', ')}`;
  }
}

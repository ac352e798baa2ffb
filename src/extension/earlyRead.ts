// A trace read started when its replay panel is created, not when the webview says it is ready:
// the webview's boot (iframe, script, chart.js) and the file read then overlap, instead of the read
// waiting for the boot. The early view (the first chunk's steps, see traceColumns.ts) can arrive
// before anyone can show it, so it is kept here and handed over once the panel is ready.
import type { ReadProgress } from './traceColumns';
import type { LoadedTrace, TraceCache } from './traceCache';

export type EarlyView = (first: LoadedTrace, progress: ReadProgress) => void;

export class EarlyRead {
  readonly whole: Promise<LoadedTrace>;
  private early: { first: LoadedTrace; progress: ReadProgress } | undefined;
  private show: EarlyView | undefined;
  private done = false;

  constructor(store: TraceCache, file: string) {
    this.whole = store.load(file, (first, progress) => {
      this.early = { first, progress };
      this.show?.(first, progress);
    });
    // a read that fails before the panel is ready is reported by whoever awaits `whole`
    this.whole.then(
      () => (this.done = true),
      () => (this.done = true),
    );
  }

  /** Calls `show` with the early view: now if it is already here and the whole trace is not,
   *  else when it comes (never after the whole trace, which makes it pointless). */
  onEarly(show: EarlyView): void {
    if (this.done) return;
    if (this.early) show(this.early.first, this.early.progress);
    else this.show = show;
  }
}

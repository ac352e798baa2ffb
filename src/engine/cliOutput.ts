// How the CLI talks: results on stdout; errors, warnings, notices and progress on stderr (a progress
// bar only when stderr is a terminal); `--events` turns stdout into the engine's event stream (JSON
// lines) for the VS Code extension; with `--json` stdout holds only the one JSON object at the end.
import type { EngineEvent } from '../shared/engineEvents';

export class CliOutput {
  private barShown = false;
  private total = 0;
  private done = 0;
  private flagged = 0;
  private label = '';
  private lastDraw = 0;
  private sceneProblemShown = false;
  readonly tty: boolean;

  constructor(
    readonly mode: 'human' | 'json' | 'events',
    private readonly stdout = process.stdout,
    private readonly stderr = process.stderr,
  ) {
    this.tty = mode === 'human' && Boolean(stderr.isTTY);
  }

  /** Results for a person (human mode only). */
  line(text: string): void {
    if (this.mode !== 'human') return;
    this.clearBar();
    this.stdout.write(text + '\n');
  }

  /** Errors about the results (an episode that could not run): stderr in human and JSON mode (the
   *  JSON object holds them too); in the event stream the episode_end events carry them. */
  error(text: string): void {
    if (this.mode === 'events') return;
    this.clearBar();
    this.stderr.write(text + '\n');
  }

  /** Notices (calibrating first, stale calibration...): stderr, or a `warning` event. */
  notice(text: string): void {
    if (this.mode === 'events') return this.event({ type: 'warning', message: text });
    this.clearBar();
    this.stderr.write(text + '\n');
  }

  event(e: EngineEvent): void {
    if (this.mode === 'events') {
      this.stdout.write(JSON.stringify(e) + '\n');
      return;
    }
    if (e.type === 'log' && this.mode === 'human') {
      this.clearBar();
      this.stderr.write(`[${e.episodeId ?? 'runner'} ${e.stream}] ${e.text}${e.text.endsWith('\n') ? '' : '\n'}`);
    }
    if (e.type === 'scene_problem' && !this.sceneProblemShown) {
      // once per run: every episode of a broken render() fails the same way
      this.sceneProblemShown = true;
      const p = e.problem;
      const where = p.file ? ` (${p.file}${p.line ? `:${p.line}:${p.column ?? 1}` : ''})` : '';
      this.clearBar();
      this.stderr.write(
        `warning: no scenes: ${p.message}${where} [${e.episodeId}; monitoring goes on, only the scene is lost]\n`,
      );
    }
    if (e.type === 'episode_end') {
      this.done++;
      if (e.flaggedStep !== null) this.flagged++;
      this.drawBar();
    }
  }

  startProgress(label: string, total: number): void {
    this.label = label;
    this.total = total;
    this.done = 0;
    this.flagged = 0;
    this.drawBar(true);
  }

  endProgress(): void {
    this.clearBar();
  }

  json(value: unknown): void {
    this.stdout.write(JSON.stringify(value, null, 2) + '\n');
  }

  private drawBar(force = false): void {
    if (!this.tty || this.total === 0) return;
    const now = Date.now();
    if (!force && now - this.lastDraw < 100 && this.done < this.total) return;
    this.lastDraw = now;
    const width = 30;
    const filled = Math.round((this.done / this.total) * width);
    this.stderr.write(
      `\r${this.label} [${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${this.done}/${this.total} episodes, ${this.flagged} flagged `,
    );
    this.barShown = true;
  }

  private clearBar(): void {
    if (!this.barShown) return;
    this.stderr.write('\r\x1b[K');
    this.barShown = false;
  }
}

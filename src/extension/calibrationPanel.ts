// The calibration panel: a live view of a calibration (Calibrate Threshold, or a run that has to
// calibrate first) instead of nothing: training episodes done of how many, how each ended, and at
// the end what was found. The same webview bundle as the replay (replayHtml), its own view type
// (a calibration is not restored after a reload: it is over by then), one panel at a time.
import * as vscode from 'vscode';
import {
  CalibrationMessage,
  parseWebviewMessage,
  type CalibrationEpisode,
  type CalibrationParams,
  type CalibrationResult,
} from '../shared/webviewProtocol';
import { getWebviewOptions, replayHtml } from './replayPanel';

export const CALIBRATION_VIEW_TYPE = 'objectiveMonitor.calibration';
/** episodes can end hundreds a second: the panel is sent the state at most this often */
const POST_MS = 100;

export class CalibrationPanel implements vscode.Disposable {
  private static current: CalibrationPanel | undefined;
  private ready = false;
  private timer: NodeJS.Timeout | undefined;
  private disposed = false;
  private readonly state: CalibrationParams;
  /** Opens the panel for a new calibration (the open one, if any, is reused and starts over). */
  static start(extensionUri: vscode.Uri, label: string, total: number): CalibrationPanel {
    const old = CalibrationPanel.current;
    const panel =
      old && !old.disposed
        ? old.panel
        : vscode.window.createWebviewPanel(
            CALIBRATION_VIEW_TYPE,
            '',
            { viewColumn: vscode.ViewColumn.Active, preserveFocus: true },
            getWebviewOptions(extensionUri),
          );
    if (old) old.detach();
    const p = new CalibrationPanel(panel, extensionUri, label, total, old !== undefined && !old.disposed && old.ready);
    CalibrationPanel.current = p;
    panel.reveal(undefined, true);
    return p;
  }

  private readonly subs: vscode.Disposable[] = [];

  private constructor(
    readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    label: string,
    total: number,
    reusedReady: boolean,
  ) {
    this.state = { label, total, episodes: [], state: 'running', result: null, message: null };
    panel.title = `Calibrating ${label}`;
    this.subs.push(
      panel.onDidDispose(() => {
        this.disposed = true;
        this.dispose();
      }),
    );
    this.subs.push(
      panel.webview.onDidReceiveMessage((m: unknown) => {
        const msg = parseWebviewMessage(m);
        if (msg?.method === 'replay/ready') {
          this.ready = true;
          this.post();
        }
      }),
    );
    if (reusedReady) {
      this.ready = true;
      this.post();
    } else panel.webview.html = replayHtml(panel.webview, extensionUri);
  }

  episodeEnded(e: CalibrationEpisode): void {
    this.state.episodes.push(e);
    if (this.state.total > 0 && this.state.episodes.length > this.state.total)
      this.state.total = this.state.episodes.length;
    this.schedule();
  }

  setTotal(total: number): void {
    if (total > 0 && total !== this.state.total) {
      this.state.total = total;
      this.schedule();
    }
  }

  finished(result: CalibrationResult): void {
    this.state.state = 'done';
    this.state.result = result;
    this.panel.title = `Calibration: ${this.state.label}`;
    this.post();
  }

  ended(state: 'failed' | 'stopped', message: string | null): void {
    if (this.state.state !== 'running') return;
    this.state.state = state;
    this.state.message = message;
    this.panel.title = `Calibration ${state}: ${this.state.label}`;
    this.post();
  }

  private schedule(): void {
    if (this.timer || this.disposed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.post();
    }, POST_MS);
  }

  private post(): void {
    if (!this.ready || this.disposed || CalibrationPanel.current !== this) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    const snapshot: CalibrationParams = { ...this.state, episodes: this.state.episodes.slice() };
    void this.panel.webview.postMessage(CalibrationMessage.create(snapshot));
  }

  /** A newer calibration took the webview over: stop listening, keep the panel. */
  private detach(): void {
    clearTimeout(this.timer);
    for (const d of this.subs.splice(0)) d.dispose();
  }

  dispose(): void {
    this.detach();
    if (CalibrationPanel.current === this) CalibrationPanel.current = undefined;
    if (!this.disposed) {
      this.disposed = true;
      this.panel.dispose();
    }
  }
}

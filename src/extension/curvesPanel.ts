// The trade-off curves panel (Show Trade-off Curves): the curves `report --curves` computed, drawn by
// the replay bundle (webview/curvesView.ts). A click on a point or an alpha sets the alpha setting;
// a change of that setting, from here or anywhere, moves the panel's marker. One panel at a time.
import * as vscode from 'vscode';
import { CurvesMessage, parseWebviewMessage, type CurvesParams } from '../shared/webviewProtocol';
import { Config, SECTION } from './config';
import { getWebviewOptions, replayHtml } from './replayPanel';

export const CURVES_VIEW_TYPE = 'objectiveMonitor.tradeoffCurves';
const ALPHA_KEY = 'detector.alpha';

export class CurvesPanel implements vscode.Disposable {
  private static current: CurvesPanel | undefined;
  private ready = false;
  private readonly subs: vscode.Disposable[] = [];

  /** Shows `params` in the panel (opened, or reused with the new curves). */
  static show(extensionUri: vscode.Uri, params: CurvesParams): CurvesPanel {
    const old = CurvesPanel.current;
    if (old) {
      old.params = params;
      old.panel.title = `Trade-off Curves: ${params.label}`;
      old.panel.reveal(undefined, true);
      old.post();
      return old;
    }
    const panel = vscode.window.createWebviewPanel(
      CURVES_VIEW_TYPE,
      `Trade-off Curves: ${params.label}`,
      { viewColumn: vscode.ViewColumn.Active, preserveFocus: false },
      getWebviewOptions(extensionUri),
    );
    const p = new CurvesPanel(panel, extensionUri, params);
    CurvesPanel.current = p;
    return p;
  }

  private constructor(
    readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    private params: CurvesParams,
  ) {
    this.subs.push(panel.onDidDispose(() => this.dispose()));
    this.subs.push(
      panel.webview.onDidReceiveMessage((m: unknown) => {
        const msg = parseWebviewMessage(m);
        if (msg?.method === 'replay/ready') {
          this.ready = true;
          this.post();
        } else if (msg?.method === 'replay/setAlpha') void this.setAlpha(msg.params.alpha);
      }),
    );
    this.subs.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!e.affectsConfiguration(`${SECTION}.${ALPHA_KEY}`)) return;
        this.params = { ...this.params, alpha: new Config().alpha };
        this.post();
      }),
    );
    panel.webview.html = replayHtml(panel.webview, extensionUri);
  }

  /** The workspace's setting when a folder is open (it is the workspace's runs), else the user's. */
  private async setAlpha(alpha: number): Promise<void> {
    const target = vscode.workspace.workspaceFolders?.length
      ? vscode.ConfigurationTarget.Workspace
      : vscode.ConfigurationTarget.Global;
    try {
      await vscode.workspace.getConfiguration(SECTION).update(ALPHA_KEY, alpha, target);
      void vscode.window.setStatusBarMessage(`Objective Monitor: alpha set to ${Number(alpha.toPrecision(4))}`, 5000);
    } catch (e) {
      void vscode.window.showErrorMessage(`Objective Monitor: could not set alpha: ${(e as Error).message}`);
    }
  }

  private post(): void {
    if (!this.ready) return;
    void this.panel.webview.postMessage(CurvesMessage.create(this.params));
  }

  dispose(): void {
    for (const d of this.subs.splice(0)) d.dispose();
    if (CurvesPanel.current === this) CurvesPanel.current = undefined;
    this.panel.dispose();
  }
}

// The API VS Code gives a webview script (once per page), typed with our protocol.

import type { ReplayViewState, WebviewToHostMessage } from '../src/shared/webviewProtocol';

interface RawVsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): RawVsCodeApi;

export interface VsCodeApi {
  post(message: WebviewToHostMessage): void;
  getState(): unknown;
  setState(state: ReplayViewState): void;
}

export function vscodeApi(): VsCodeApi {
  const raw = acquireVsCodeApi();
  return {
    post: (m) => raw.postMessage(m),
    getState: () => raw.getState(),
    setState: (s) => raw.setState(s),
  };
}

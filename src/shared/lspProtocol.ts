// The client <-> language-server boundary for trace files, typed once for both sides.
// Custom messages follow vscode-eslint's shape: `namespace X { method; type }`.
// Imported from vscode-languageserver-protocol (not -server or -client) so each side's bundle
// takes only what it already ships.

import { RequestType, type Diagnostic } from 'vscode-languageserver-protocol';

/** The language id the client registers for `*.trace.jsonl`. */
export const TRACE_LANGUAGE_ID = 'objective-trace';
/** `Diagnostic.source` of everything the server reports. */
export const DIAGNOSTIC_SOURCE = 'objective-monitor';
/** The configuration section the server reads with workspace/configuration. */
export const SETTINGS_SECTION = 'objectiveMonitor';

/** Commands the server's code lenses invoke; the extension registers them. */
export namespace OpenTraceCommand {
  export const id = 'objectiveMonitor.openTrace';
  /** arguments: [trace document uri, step to show] */
  export type Args = [uri: string, step: number];
}
/** Fork (issue 14): another agent takes over the traced episode at `step` (asked for when absent). */
export namespace ForkFromStepCommand {
  export const id = 'objectiveMonitor.forkFromStep';
  /** arguments: [trace document uri, step, agent?] */
  export type Args = [uri: string, step: number, agent?: string];
}

/** Blame (issue 14): the point of no return of the traced, flagged episode for a reference agent. */
export namespace FindPointOfNoReturnCommand {
  export const id = 'objectiveMonitor.findPointOfNoReturn';
  /** arguments: [trace document uri, agent?] */
  export type Args = [uri: string, agent?: string];
}

export namespace RerunEpisodeCommand {
  export const id = 'objectiveMonitor.rerunEpisode';
  /** arguments: [trace document uri] */
  export type Args = [uri: string];
}

/**
 * What the server reads from the `objectiveMonitor` section. Every field may be missing or of the
 * wrong type in a user's settings; the server and the extension coerce (src/shared/settings.ts) and falls back
 * to the defaults below.
 */
export interface TraceServerSettings {
  detector: {
    /** 'recorded' shows traces as recorded (no re-flag, alpha ignored); any other kind re-flags
     *  every trace whose recorded detector or calibration alpha differs */
    kind: 'recorded' | 'envelope' | 'window' | 'cusum' | 'fixed';
    window: number;
    cusumK: number;
    /** null (missing or invalid): the alpha the calibration file was computed for */
    alpha: number | null;
    fixedThreshold: number;
  };
  traces: {
    inlayHints: boolean;
  };
}

export const DEFAULT_TRACE_SERVER_SETTINGS: TraceServerSettings = {
  detector: { kind: 'recorded', window: 20, cusumK: 0.5, alpha: null, fixedThreshold: 0 },
  traces: { inlayHints: true },
};

/**
 * `objectiveMonitor/traceSummary`: the state of one trace. Works for documents the client has not
 * synced (VS Code does not sync files over 50 MB): the server then reads the file from disk.
 */
export namespace TraceSummaryRequest {
  export const method = 'objectiveMonitor/traceSummary';
  export interface Params {
    uri: string;
  }
  export interface Result {
    uri: string;
    /** where the text came from */
    source: 'document' | 'disk';
    /** number of step records */
    steps: number;
    /** the flagged step under the current settings (re-flagged when they differ from the trace's) */
    flaggedStep: number | null;
    /** the flagged step as recorded by the engine */
    recordedFlaggedStep: number | null;
    /** true when the current settings re-evaluated the trace */
    reflagged: boolean;
    /** the detector the flag was computed with, e.g. "cusum k=0.5" */
    detector: string | null;
    /** episode_end reason, or null when the trace has no episode_end (incomplete) */
    reason: string | null;
    /** the server's diagnostics of the trace, exactly as it publishes them for an open document
     *  (the client converts them with its protocol converter for traces it does not sync) */
    diagnostics: Diagnostic[];
  }
  export const type = new RequestType<Params, Result, void>(method);
}

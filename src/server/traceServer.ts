// Wires the pure handlers to an LSP connection: capabilities, settings per document, the analysis
// cache, push or pull diagnostics, refresh on configuration change, and the custom summary request.
// No handler throws into the connection, and every request gets an answer (cancelled ones too).

import {
  CodeLensRefreshRequest,
  DidChangeConfigurationNotification,
  DocumentDiagnosticReportKind,
  LSPErrorCodes,
  ResponseError,
  TextDocuments,
  TextDocumentSyncKind,
  type CancellationToken,
  type ClientCapabilities,
  type DiagnosticServerCancellationData,
  type Connection,
  type Diagnostic,
  type InitializeResult,
} from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import {
  SETTINGS_SECTION,
  TRACE_LANGUAGE_ID,
  TraceSummaryRequest,
  type TraceServerSettings,
} from '../shared/lspProtocol';
import type { CalibrationLoader } from '../core/calibrationFile';
import { createCalibrationLoader } from '../shared/calibrationLoader';
import { traceCodeLenses } from './codeLenses';
import { traceCodeActions } from './codeActions';
import { headerDefinition } from './definition';
import { traceDiagnostics } from './diagnostics';
import { traceSymbols } from './documentSymbols';
import { traceHover } from './hover';
import { STEP_FIELD_SEARCH, traceInlayHints } from './inlayHints';
import { coerceSettings } from '../shared/settings';
import { traceSummary } from './traceSummary';
import { StaleAnalysis, TraceStore } from './traceStore';
import type { TraceAnalysis } from './traceAnalysis';

interface ClientFeatures {
  configuration: boolean;
  pullDiagnostics: boolean;
  diagnosticRefresh: boolean;
  inlayHintRefresh: boolean;
  codeLensRefresh: boolean;
  relatedInformation: boolean;
  dynamicConfiguration: boolean;
}

function detect(c: ClientCapabilities): ClientFeatures {
  return {
    configuration: !!c.workspace?.configuration,
    pullDiagnostics: !!c.textDocument?.diagnostic,
    diagnosticRefresh: !!c.workspace?.diagnostics?.refreshSupport,
    inlayHintRefresh: !!c.workspace?.inlayHint?.refreshSupport,
    codeLensRefresh: !!c.workspace?.codeLens?.refreshSupport,
    relatedInformation: !!(
      c.textDocument?.publishDiagnostics?.relatedInformation || c.textDocument?.diagnostic?.relatedInformation
    ),
    dynamicConfiguration: !!c.workspace?.didChangeConfiguration?.dynamicRegistration,
  };
}

const CANCELLED = Symbol('cancelled');

/** Settles with `p`, or with CANCELLED as soon as the token fires: a shared analysis keeps going
 *  (chunked, so the cancel is seen between chunks) but the cancelled request is answered now. */
function untilCancelled<T>(p: Promise<T>, token: CancellationToken): Promise<T | typeof CANCELLED> {
  return new Promise((resolve, reject) => {
    const sub = token.onCancellationRequested(() => resolve(CANCELLED));
    p.then(
      (v) => {
        sub.dispose();
        resolve(v);
      },
      (e: unknown) => {
        sub.dispose();
        reject(e);
      },
    );
  });
}

/** Push diagnostics wait this long after the last edit: typing in a trace should not re-read it per key. */
export const PUSH_DEBOUNCE_MS = 150;

export function startTraceServer(connection: Connection, opts: { loadCalibration?: CalibrationLoader } = {}): void {
  const documents = new TextDocuments(TextDocument);
  const store = new TraceStore(opts.loadCalibration ?? createCalibrationLoader(), (uri) => documents.get(uri)?.version);
  let features: ClientFeatures = detect({});
  let globalSettings: TraceServerSettings = coerceSettings({});
  const documentSettings = new Map<string, Promise<TraceServerSettings>>();
  const pushTimers = new Map<string, NodeJS.Timeout>();

  const log = (msg: string) => {
    try {
      connection.console.error(msg);
    } catch {
      /* connection gone */
    }
  };
  const cancelled = () => new ResponseError(LSPErrorCodes.RequestCancelled, 'request cancelled');

  /** Runs a request handler so it always answers: a result, a fallback on error, or a cancellation error. */
  function guard<P, R, E = void>(
    name: string,
    fallback: R,
    fn: (params: P, token: CancellationToken) => Promise<R>,
    onCancel: () => ResponseError<E> = cancelled as () => ResponseError<E>,
  ) {
    return async (params: P, token: CancellationToken): Promise<R | ResponseError<E>> => {
      try {
        if (token.isCancellationRequested) return onCancel();
        const r = await untilCancelled(fn(params, token), token);
        return r === CANCELLED || token.isCancellationRequested ? onCancel() : r;
      } catch (e) {
        if (e instanceof StaleAnalysis || token.isCancellationRequested) return onCancel();
        if (e instanceof ResponseError) return e as ResponseError<E>;
        log(`${name} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
        return fallback;
      }
    };
  }

  function getSettings(uri: string): Promise<TraceServerSettings> {
    if (!features.configuration) return Promise.resolve(globalSettings);
    let s = documentSettings.get(uri);
    if (!s) {
      s = connection.workspace
        .getConfiguration({ scopeUri: uri, section: SETTINGS_SECTION })
        .then(coerceSettings, (e) => {
          log(`reading settings failed: ${String(e)}`);
          return coerceSettings({});
        });
      // Cached for open documents only (dropped on close); summaries of files on disk ask each time.
      if (documents.get(uri)) documentSettings.set(uri, s);
    }
    return s;
  }

  async function analysisOf(
    uri: string,
  ): Promise<{ doc: TextDocument; analysis: TraceAnalysis; settings: TraceServerSettings } | null> {
    const doc = documents.get(uri);
    if (!doc) return null;
    const settings = await getSettings(uri);
    return { doc, analysis: await store.forDocument(doc, settings), settings };
  }

  async function diagnosticsOf(uri: string): Promise<Diagnostic[]> {
    const r = await analysisOf(uri);
    return r ? traceDiagnostics(r.analysis, { relatedInformation: features.relatedInformation }) : [];
  }

  // The first push after open is immediate; later ones wait for a pause in editing.
  const pushedOnce = new Set<string>();
  function schedulePush(uri: string): void {
    if (features.pullDiagnostics) return;
    clearTimeout(pushTimers.get(uri));
    const delay = pushedOnce.has(uri) ? PUSH_DEBOUNCE_MS : 0;
    pushedOnce.add(uri);
    pushTimers.set(
      uri,
      setTimeout(() => {
        pushTimers.delete(uri);
        const version = documents.get(uri)?.version;
        diagnosticsOf(uri).then(
          (diagnostics) => {
            if (documents.get(uri)) void connection.sendDiagnostics({ uri, version, diagnostics });
          },
          (e) => {
            if (!(e instanceof StaleAnalysis)) log(`diagnostics for ${uri} failed: ${String(e)}`);
          },
        );
      }, delay),
    );
  }

  function refreshAll(): void {
    store.clear();
    const ignore = (e: unknown) => log(`refresh failed: ${String(e)}`);
    if (features.pullDiagnostics) {
      if (features.diagnosticRefresh) connection.languages.diagnostics.refresh().catch(ignore);
    } else for (const d of documents.all()) schedulePush(d.uri);
    if (features.inlayHintRefresh) connection.languages.inlayHint.refresh().catch(ignore);
    if (features.codeLensRefresh) connection.sendRequest(CodeLensRefreshRequest.type).catch(ignore);
  }

  connection.onInitialize((params): InitializeResult => {
    features = detect(params.capabilities ?? {});
    const result: InitializeResult = {
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        hoverProvider: true,
        codeLensProvider: { resolveProvider: false },
        codeActionProvider: true,
        inlayHintProvider: true,
        documentSymbolProvider: true,
        definitionProvider: true,
      },
      serverInfo: { name: 'objective-monitor-traces' },
    };
    if (features.pullDiagnostics) {
      result.capabilities.diagnosticProvider = {
        identifier: TRACE_LANGUAGE_ID,
        interFileDependencies: false,
        workspaceDiagnostics: false,
      };
    }
    return result;
  });

  connection.onInitialized(() => {
    if (features.configuration && features.dynamicConfiguration) {
      connection.client
        .register(DidChangeConfigurationNotification.type, undefined)
        .catch((e) => log(`register failed: ${String(e)}`));
    }
  });

  connection.onDidChangeConfiguration((change) => {
    try {
      if (features.configuration) documentSettings.clear();
      else globalSettings = coerceSettings((change.settings as Record<string, unknown> | null)?.[SETTINGS_SECTION]);
      refreshAll();
    } catch (e) {
      log(`configuration change failed: ${String(e)}`);
    }
  });

  documents.onDidChangeContent((e) => schedulePush(e.document.uri));
  documents.onDidClose((e) => {
    const uri = e.document.uri;
    clearTimeout(pushTimers.get(uri));
    pushTimers.delete(uri);
    pushedOnce.delete(uri);
    documentSettings.delete(uri);
    store.drop(uri);
    if (!features.pullDiagnostics) void connection.sendDiagnostics({ uri, diagnostics: [] });
  });

  connection.languages.diagnostics.on(
    guard(
      'diagnostics',
      { kind: DocumentDiagnosticReportKind.Full, items: [] as Diagnostic[] },
      async (params) => ({
        kind: DocumentDiagnosticReportKind.Full,
        items: await diagnosticsOf(params.textDocument.uri),
      }),
      () =>
        new ResponseError<DiagnosticServerCancellationData>(
          LSPErrorCodes.ServerCancelled,
          'the trace changed; ask again',
          { retriggerRequest: true },
        ),
    ),
  );

  connection.onHover(
    guard('hover', null, async (params) => {
      const r = await analysisOf(params.textDocument.uri);
      return r ? traceHover(r.analysis, params.position) : null;
    }),
  );

  connection.onCodeLens(
    guard('codeLens', [], async (params) => {
      const r = await analysisOf(params.textDocument.uri);
      return r ? traceCodeLenses(r.analysis, params.textDocument.uri) : [];
    }),
  );

  connection.onCodeAction(
    guard('codeAction', [], async (params) => {
      const r = await analysisOf(params.textDocument.uri);
      return r ? traceCodeActions(r.analysis, params.textDocument.uri, params.range) : [];
    }),
  );

  connection.languages.inlayHint.on(
    guard('inlayHint', [], async (params) => {
      const r = await analysisOf(params.textDocument.uri);
      if (!r) return [];
      const doc = r.doc;
      return traceInlayHints(r.analysis, params.range, r.settings.traces.inlayHints, (line) =>
        doc.getText({ start: { line, character: 0 }, end: { line, character: STEP_FIELD_SEARCH } }),
      );
    }),
  );

  connection.onDocumentSymbol(
    guard('documentSymbol', [], async (params) => {
      const r = await analysisOf(params.textDocument.uri);
      return r ? traceSymbols(r.analysis) : [];
    }),
  );

  connection.onDefinition(
    guard('definition', null, async (params) => {
      const r = await analysisOf(params.textDocument.uri);
      const header = r?.analysis.read.header;
      if (!r || !header || params.position.line !== r.analysis.read.headerLine) return null;
      const text = r.doc.getText({
        start: { line: params.position.line, character: 0 },
        end: { line: params.position.line + 1, character: 0 },
      });
      return headerDefinition(header, text, params.position);
    }),
  );

  connection.onRequest(
    TraceSummaryRequest.type,
    guard(
      'traceSummary',
      null as unknown as TraceSummaryRequest.Result,
      async (params: TraceSummaryRequest.Params, token) => {
        if (!params || typeof params.uri !== 'string')
          throw new ResponseError(LSPErrorCodes.RequestFailed, 'objectiveMonitor/traceSummary needs { uri: string }');
        const open = documents.get(params.uri);
        const settings = await getSettings(params.uri);
        if (open)
          return traceSummary(await store.forDocument(open, settings), params.uri, 'document', {
            relatedInformation: features.relatedInformation,
          });
        if (!params.uri.startsWith('file:'))
          throw new ResponseError(LSPErrorCodes.RequestFailed, `${params.uri} is neither open nor a file: URI`);
        // A settings change (or a summary of another file) supersedes a disk read in progress; the
        // client did not cancel this request, so read again with the settings of now.
        for (let attempt = 1; ; attempt++) {
          try {
            const analysis = await store.fromDisk(params.uri, attempt === 1 ? settings : await getSettings(params.uri));
            return traceSummary(analysis, params.uri, 'disk', { relatedInformation: features.relatedInformation });
          } catch (e) {
            if (e instanceof StaleAnalysis && attempt < 3 && !token.isCancellationRequested) continue;
            if (e instanceof StaleAnalysis) throw e;
            throw new ResponseError(
              LSPErrorCodes.RequestFailed,
              `cannot read ${params.uri}: ${e instanceof Error ? e.message : String(e)}`,
            );
          }
        }
      },
    ),
  );

  documents.listen(connection);
  connection.listen();
}

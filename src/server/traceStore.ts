// Analyses cached per document version and settings. The read runs in chunks of lines and the
// flagging in its own turn of the event loop, so a cancel or a newer edit arriving meanwhile is
// seen; an analysis made stale by an edit stops at the next chunk instead of being answered.
// A cancelled request does not stop a shared analysis: the next request for the same version reuses it.

import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TraceServerSettings } from '../shared/lspProtocol';
import { readTraceChunked, yieldTurn } from './chunkedRead';
import type { CalibrationLoader } from '../core/calibrationFile';
import { settingsKey } from '../shared/settings';
import { flagTrace, type TraceAnalysis } from './traceAnalysis';

/** Thrown (as a rejection) when the document changed while its analysis was running. */
export class StaleAnalysis extends Error {
  constructor(uri: string) {
    super(`${uri} changed during analysis`);
  }
}

export interface TextSource {
  uri: string;
  version: number;
  getText(): string;
}

export class TraceStore {
  private readonly docs = new Map<string, { key: string; analysis: Promise<TraceAnalysis> }>();
  // Disk analyses are for files the client did not sync (possibly huge): keep only the latest.
  private disk: { uri: string; key: string; analysis: Promise<TraceAnalysis> } | null = null;

  constructor(
    private readonly loadCalibration: CalibrationLoader,
    private readonly currentVersion: (uri: string) => number | undefined,
  ) {}

  forDocument(doc: TextSource, settings: TraceServerSettings): Promise<TraceAnalysis> {
    const key = `${doc.version}|${settingsKey(settings)}`;
    const hit = this.docs.get(doc.uri);
    if (hit && hit.key === key) return hit.analysis;
    const { uri, version } = doc;
    const text = doc.getText();
    const stale = () => (this.currentVersion(uri) !== version ? new StaleAnalysis(uri) : null);
    const analysis = (async () => {
      await yieldTurn();
      if (stale()) throw stale();
      const read = await readTraceChunked(text, { stop: stale });
      await yieldTurn();
      if (stale()) throw stale();
      return { read, ...flagTrace(read, settings, this.loadCalibration) };
    })();
    const entry = { key, analysis };
    this.docs.set(uri, entry);
    analysis.catch(() => {
      if (this.docs.get(uri) === entry) this.docs.delete(uri);
    });
    return analysis;
  }

  /** Reads a trace file from disk by `file:` URI; cached by mtime and size. */
  async fromDisk(uri: string, settings: TraceServerSettings): Promise<TraceAnalysis> {
    const file = fileURLToPath(uri);
    const st = await fs.promises.stat(file);
    if (!st.isFile()) throw new Error(`${file} is not a file`);
    const key = `${st.mtimeMs}|${st.size}|${settingsKey(settings)}`;
    if (this.disk && this.disk.uri === uri && this.disk.key === key) return this.disk.analysis;
    // Replaced by a request for another file (or a newer state of this one): stop reading.
    const superseded = () => (this.disk !== entry ? new StaleAnalysis(uri) : null);
    const analysis = (async () => {
      const data = await fs.promises.readFile(file);
      await yieldTurn();
      if (superseded()) throw superseded();
      const read = await readTraceChunked(data, { stop: superseded });
      await yieldTurn();
      return { read, ...flagTrace(read, settings, this.loadCalibration) };
    })();
    const entry: { uri: string; key: string; analysis: Promise<TraceAnalysis> } = { uri, key, analysis };
    this.disk = entry;
    analysis.catch(() => {
      if (this.disk === entry) this.disk = null;
    });
    return analysis;
  }

  drop(uri: string): void {
    this.docs.delete(uri);
    if (this.disk?.uri === uri) this.disk = null;
  }

  clear(): void {
    this.docs.clear();
    this.disk = null;
  }
}

// Analyses cached per document version and settings. The read and the flagging run in separate
// turns of the event loop so a cancel or a newer edit arriving in between is seen, and an analysis
// made stale by an edit is dropped instead of being answered.

import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readTrace } from '../core/traceReader';
import type { TraceServerSettings } from '../shared/lspProtocol';
import { settingsKey } from './settings';
import { flagTrace, type CalibrationLoader, type TraceAnalysis } from './traceAnalysis';

/** Thrown (as a rejection) when the document changed while its analysis was running. */
export class StaleAnalysis extends Error {
  constructor(uri: string) { super(`${uri} changed during analysis`); }
}

export interface TextSource {
  uri: string;
  version: number;
  getText(): string;
}

const yieldTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

export class TraceStore {
  private readonly docs = new Map<string, { key: string; analysis: Promise<TraceAnalysis> }>();
  // Disk analyses are for files the client did not sync (possibly huge): keep only the latest.
  private disk: { uri: string; key: string; analysis: Promise<TraceAnalysis> } | null = null;

  constructor(private readonly loadCalibration: CalibrationLoader, private readonly currentVersion: (uri: string) => number | undefined) {}

  forDocument(doc: TextSource, settings: TraceServerSettings): Promise<TraceAnalysis> {
    const key = `${doc.version}|${settingsKey(settings)}`;
    const hit = this.docs.get(doc.uri);
    if (hit && hit.key === key) return hit.analysis;
    const { uri, version } = doc;
    const text = doc.getText();
    const analysis = (async () => {
      await yieldTurn();
      if (this.currentVersion(uri) !== version) throw new StaleAnalysis(uri);
      const read = readTrace(text);
      await yieldTurn();
      if (this.currentVersion(uri) !== version) throw new StaleAnalysis(uri);
      return { read, ...flagTrace(read, settings, this.loadCalibration) };
    })();
    const entry = { key, analysis };
    this.docs.set(uri, entry);
    analysis.catch(() => { if (this.docs.get(uri) === entry) this.docs.delete(uri); });
    return analysis;
  }

  /** Reads a trace file from disk by `file:` URI; cached by mtime and size. */
  async fromDisk(uri: string, settings: TraceServerSettings): Promise<TraceAnalysis> {
    const file = fileURLToPath(uri);
    const st = await fs.promises.stat(file);
    if (!st.isFile()) throw new Error(`${file} is not a file`);
    const key = `${st.mtimeMs}|${st.size}|${settingsKey(settings)}`;
    if (this.disk && this.disk.uri === uri && this.disk.key === key) return this.disk.analysis;
    const analysis = (async () => {
      const data = await fs.promises.readFile(file);
      await yieldTurn();
      const read = readTrace(data);
      await yieldTurn();
      return { read, ...flagTrace(read, settings, this.loadCalibration) };
    })();
    const entry = { uri, key, analysis };
    this.disk = entry;
    analysis.catch(() => { if (this.disk === entry) this.disk = null; });
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

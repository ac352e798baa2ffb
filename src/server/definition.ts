// Go to definition from the header's paths (environment/agent/objective modules, the scenario and
// the calibration file) to those files. Only strings that equal a path the header names are links,
// so user options that happen to hold a "module" key are not.

import { pathToFileURL } from 'node:url';
import type { Location, Position } from 'vscode-languageserver';
import type { TraceHeader } from '../core/traceFormat';

const PATH_VALUE = /"(?:module|file)"\s*:\s*("(?:[^"\\]|\\.)*")/g;

/** `headerText` is the header line's text (the client's, with the same character offsets). */
export function headerDefinition(header: TraceHeader, headerText: string, pos: Position): Location | null {
  const known = new Set<string>();
  for (const m of [header.environment, header.agent, header.objective])
    if (m && typeof m.module === 'string') known.add(m.module);
  known.add(header.scenario.file);
  if (header.calibration) known.add(header.calibration.file);
  PATH_VALUE.lastIndex = 0;
  for (let m = PATH_VALUE.exec(headerText); m; m = PATH_VALUE.exec(headerText)) {
    const start = m.index + m[0].length - m[1].length;
    const end = m.index + m[0].length;
    if (pos.character < start || pos.character > end) continue;
    let value: unknown;
    try {
      value = JSON.parse(m[1]);
    } catch {
      return null;
    }
    if (typeof value !== 'string' || !known.has(value) || !isFilePath(value)) return null;
    return {
      uri: pathToFileURL(value).href,
      range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
    };
  }
  return null;
}

// `gymnasium:CartPole-v1` and other scheme-like names are not files.
function isFilePath(p: string): boolean {
  return p.startsWith('/') || /^[a-zA-Z]:[\\/]/.test(p) || p.startsWith('\\\\');
}

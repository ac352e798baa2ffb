// A pid file per runner child in <tmp>/objective-monitor/, so that an engine that died without
// cleaning up (SIGKILL, power cut of the extension host) has its leftovers killed by the next
// engine that starts. A file is stale when the engine that wrote it is no longer alive.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isAlive, killTreeNow, readStat, type TreeTarget } from './processTree';

interface PidFile extends TreeTarget {
  enginePid: number;
  engineStart: number;
}

function dir(): string {
  return path.join(os.tmpdir(), 'objective-monitor');
}

const fileOf = (token: string) => path.join(dir(), `runner-${token}.json`);

export function registerRunner(target: TreeTarget): void {
  fs.mkdirSync(dir(), { recursive: true });
  const rec: PidFile = { ...target, enginePid: process.pid, engineStart: readStat(process.pid)?.start ?? 0 };
  fs.writeFileSync(fileOf(target.token), JSON.stringify(rec));
}

export function unregisterRunner(token: string): void {
  try {
    fs.unlinkSync(fileOf(token));
  } catch {
    // already gone
  }
}

/** Kills the process trees left by engines that are no longer alive. Returns how many trees. */
export function cleanStaleRunners(): number {
  let names: string[];
  try {
    names = fs.readdirSync(dir());
  } catch {
    return 0;
  }
  let cleaned = 0;
  for (const name of names) {
    if (!/^runner-[0-9a-f]+\.json$/.test(name)) continue;
    const file = path.join(dir(), name);
    let rec: PidFile;
    try {
      rec = JSON.parse(fs.readFileSync(file, 'utf8')) as PidFile;
    } catch {
      continue;
    }
    if (isAlive(rec.enginePid, rec.engineStart)) continue;
    if (
      typeof rec.token === 'string' &&
      /^[0-9a-f]+$/.test(rec.token) &&
      Number.isInteger(rec.pid) &&
      Number.isInteger(rec.pgid)
    ) {
      // The runner's pid and group may have been reused since: trust only the token.
      killTreeNow({ pid: -1, pgid: -1, token: rec.token });
      cleaned++;
    }
    try {
      fs.unlinkSync(file);
    } catch {
      // another engine cleaned it at the same moment
    }
  }
  return cleaned;
}

// Temporary folders for tests and benchmarks, removed when the process that made them ends, whether
// its tests passed or failed. node:test runs each test file in its own process and every benchmark
// is its own process, so "at exit" is "after the last test of the file". Thousands of leftover
// folders in /tmp made creating a file there ~15x slower on the test machine and skewed benchmarks.
// A process killed by a signal keeps its folders: listening for signals here would change how the
// process dies (the engine's host shutdown exits on SIGTERM only when it is the sole listener).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const made = new Set<string>();
let hooked = false;

function removeAll(): void {
  for (const dir of made) {
    try {
      // force: a runner child still holding files open does not stop removal on Linux
      fs.rmSync(dir, { recursive: true, force: true, maxRetries: 2 });
    } catch {
      /* best effort: a folder we cannot remove must not turn a pass into a failure */
    }
  }
  made.clear();
}

/** A fresh folder under os.tmpdir() named `<prefix>XXXXXX`, removed when this process exits. */
export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.add(dir);
  if (!hooked) {
    hooked = true;
    process.on('exit', removeAll);
  }
  return dir;
}

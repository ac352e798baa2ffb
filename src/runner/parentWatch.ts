// If the engine dies (even by SIGKILL) the runner must not live on. Closing fd 4 is seen by the
// event loop, but user code in a synchronous loop never lets it run; so a worker thread, which has
// its own event loop, watches the parent pid and kills this process when it changes.
import { Worker } from 'node:worker_threads';

const WATCH = `
const { workerData } = require('node:worker_threads');
setInterval(() => {
  if (process.ppid !== workerData.ppid) process.kill(workerData.pid, 'SIGKILL');
}, workerData.everyMs);
`;

export function watchParent(everyMs = 200): void {
  const w = new Worker(WATCH, {
    eval: true,
    workerData: { ppid: process.ppid, pid: process.pid, everyMs },
    resourceLimits: { maxOldGenerationSizeMb: 16 },
    stdout: false,
    stderr: false,
  });
  w.unref();
  w.on('error', () => {
    // the fd 4 EOF path still covers an idle runner
  });
}

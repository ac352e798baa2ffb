// Why a runner died, when no record said so: out of memory (V8's heap limit aborts the process with
// SIGABRT / exit 134 and "Reached heap limit"; Python raises MemoryError) or a plain crash.
import type { Outcome } from './episodeRecorder';
import type { ExitInfo } from './runnerProcess';

const OOM_TEXT = /Reached heap limit|JavaScript heap out of memory|MemoryError|Cannot allocate memory|std::bad_alloc/;

export function classifyExit(info: ExitInfo, stderrTail: string, memoryLimitMb: number): Outcome {
  const tail = stderrTail.slice(-2000);
  if (info.spawnError) return { reason: 'crashed', detail: { message: info.spawnError }, replaceChild: true };
  if (info.signal === 'SIGABRT' || info.code === 134 || OOM_TEXT.test(stderrTail)) {
    return {
      reason: 'oom',
      detail: { limitMb: memoryLimitMb, code: info.code, signal: info.signal, cause: 'heap limit', stderr: tail },
      replaceChild: true,
    };
  }
  return {
    reason: 'crashed',
    detail: {
      message: `runner exited (code ${info.code}, signal ${info.signal})`,
      code: info.code,
      signal: info.signal,
      ...(tail ? { stderr: tail } : {}),
    },
    replaceChild: true,
  };
}

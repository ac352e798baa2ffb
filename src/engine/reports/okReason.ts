import type { EndReason } from '../../core/traceFormat';

/** An episode that ran properly: it completed or the protocol stopped it at the flag. */
export function okReason(reason: EndReason): boolean {
  return reason === 'completed' || reason === 'flagged_stop';
}

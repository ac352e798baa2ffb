import { SUITE_MARKER } from './marker';

/** console.log for suite files: the harness prints only marked lines. */
export function log(...args: unknown[]): void {
  console.log(SUITE_MARKER, ...args);
}

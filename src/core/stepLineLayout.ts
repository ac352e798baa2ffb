// The bytes of the engine's scores-only step line, shared by its writer (src/engine/scoresLine.ts)
// and its fast reader (stepLineFast.ts), so the two cannot drift apart:
//   {"type":"step","step":N,"increment":X,"score":X,"statistic":X,"threshold":X|null,"flag":true|false}

function ascii(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

export const PREFIX = ascii('{"type":"step","step":');
export const INCREMENT = ascii(',"increment":');
export const SCORE = ascii(',"score":');
export const STATISTIC = ascii(',"statistic":');
export const THRESHOLD = ascii(',"threshold":');
export const FLAG = ascii(',"flag":');
export const TRUE = ascii('true');
export const FALSE = ascii('false');
export const NULL = ascii('null');

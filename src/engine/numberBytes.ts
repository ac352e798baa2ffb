// A finite double's JSON text — exactly the characters String() writes — put straight into a byte
// buffer. The engine writes a score and an increment on every scores-only step line, and String()
// of such a number (17 significant digits, mostly) cost ~250 ns here, most of the engine's time
// per step; this costs a fraction of that and makes no string (docs/performance.md).
//
// How: String() writes the shortest decimal that reads back as the same double and, among several
// that short, the one closest to it. For 1e-6 <= |x| < 1e15 this computes x * 10^s exactly as the
// sum of two doubles (Dekker's product: 10^s is exact for s <= 22), rounds it to the nearest integer
// N and checks that N * 10^-s lies inside x's rounding interval (half an ulp either side), trying 15,
// 16, then 17 significant digits. At 15 digits at most one decimal fits the interval (an ulp is under
// 2.3e-16 of x, 15-digit decimals lie 1e-15 of x apart or more), so a shorter one, if any, is N with
// its trailing zeros cut. Whenever the answer is not clear-cut — N halfway between two integers, N
// at the interval's edge (where round-half-even decides), x a power of two (its interval is
// lopsided), the magnitude outside that range — it returns String()'s own text instead. So it is
// never wrong, only sometimes not faster (test/engine/numberBytes.test.ts compares it with String()).

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
/** index of the word holding sign, exponent and the mantissa's top 20 bits */
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;
const LO = 1 - HI;

/** 10^s, exact for s <= 22, and its Veltkamp halves (hi + lo = 10^s, each with <= 26 bits) */
const POW = new Float64Array(23);
const POW_HI = new Float64Array(23);
const POW_LO = new Float64Array(23);
const SPLIT = 134217729; // 2^27 + 1
for (let s = 0; s <= 22; s++) {
  const p = Number(`1e${s}`);
  const c = SPLIT * p;
  const hi = c - (c - p);
  POW[s] = p;
  POW_HI[s] = hi;
  POW_LO[s] = p - hi;
}
/** By a normal double's biased exponent field E: half an ulp, 2^(E - 1076); the decade of 2^(E - 1023),
 *  and the double nearest the next power of ten (x at or above it is in the next decade) */
const HALF_ULP = new Float64Array(2047);
const DECADE = new Int16Array(2047);
const NEXT_DECADE = new Float64Array(2047);
for (let e = 1; e < 2047; e++) {
  HALF_ULP[e] = Math.pow(2, e - 1076);
  DECADE[e] = Math.floor((e - 1023) * Math.LOG10E * Math.LN2);
  NEXT_DECADE[e] = Number(`1e${DECADE[e] + 1}`);
}

/** margin around the round-half and interval-edge decisions; the arithmetic's own error is < 1e-15 */
const TOL = 1e-9;
const TWO52 = 4503599627370496;

/** the digits of the candidate, least significant first */
const digits = new Uint8Array(24);
/** the two digits of 0..99 */
const ONES = Uint8Array.from({ length: 100 }, (_, i) => i % 10);
const TENS = Uint8Array.from({ length: 100 }, (_, i) => Math.floor(i / 10));

/** the most bytes putNumber writes: "-1.2345678901234567e-308" has 24 */
export const NUMBER_BYTES = 25;

/** Writes String(x) for a finite x at `pos`; returns the offset past it (at most NUMBER_BYTES). */
export function putNumber(buf: Uint8Array, pos: number, x: number): number {
  if (x < 0) {
    buf[pos++] = 45; // -
    x = -x;
  }
  if (x === 0) {
    buf[pos] = 48;
    return pos + 1;
  }
  if (x >= 1e-6 && x < 1e15) {
    const end = x === Math.floor(x) ? putInteger(buf, pos, x) : putShortest(buf, pos, x);
    if (end >= 0) return end;
  }
  return putText(buf, pos, String(x));
}

function putText(buf: Uint8Array, pos: number, text: string): number {
  for (let i = 0; i < text.length; i++) buf[pos + i] = text.charCodeAt(i);
  return pos + text.length;
}

/** An integer below 1e15 (below 2^53: exact) in decimal. */
function putInteger(buf: Uint8Array, pos: number, x: number): number {
  const q = Math.floor(x / 1e9);
  let lo = (x - q * 1e9) | 0; // below 1e9 < 2^31 (int32 arithmetic: a double's % calls fmod)
  let hi = q | 0; // below 1e6
  let n = 0;
  for (let k = 0; k < 9 && (lo > 0 || hi > 0 || k === 0); k++) {
    const t = (lo / 10) | 0;
    digits[n++] = lo - t * 10;
    lo = t;
  }
  for (; hi > 0;) {
    const t = (hi / 10) | 0;
    digits[n++] = hi - t * 10;
    hi = t;
  }
  while (n > 0) buf[pos++] = 48 + digits[--n];
  return pos;
}

/** The shortest closest decimal of a positive non-integer x in [1e-6, 1e15); -1 when not clear-cut. */
function putShortest(buf: Uint8Array, pos: number, x: number): number {
  f64[0] = x;
  const hiWord = u32[HI];
  const biased = hiWord >>> 20;
  if ((hiWord & 0xfffff) === 0 && u32[LO] === 0) return -1; // a power of two
  const half = HALF_ULP[biased];
  // x's decimal exponent: 10^e <= x < 10^(e+1) (one off for x next to a power of ten, which the
  // range check at 15 digits catches)
  const e = x >= NEXT_DECADE[biased] ? DECADE[biased] + 1 : DECADE[biased];
  const c = SPLIT * x;
  const xh = c - (c - x);
  const xl = x - xh;
  for (let len = 15; len <= 17; len++) {
    const s = len - 1 - e;
    if (s < 0 || s > 22) return -1;
    // y = p + err = x * 10^s exactly (Dekker's product)
    const P = POW[s];
    const p = x * P;
    const err = xh * POW_HI[s] - p + xh * POW_LO[s] + xl * POW_HI[s] + xl * POW_LO[s];
    if (len === 15 && (p < 1e14 || p >= 1e15)) return -1; // log10 was one off
    // N = r + k, the integer nearest to y; frac = y - N
    let r: number;
    let t: number;
    if (p >= TWO52) {
      r = p;
      t = err;
    } else {
      r = Math.floor(p);
      t = p - r + err;
    }
    const k = Math.round(t);
    const frac = t - k;
    const d = frac < 0 ? -frac : frac;
    if (d > 0.5 - TOL) return -1; // halfway between two integers
    const gap = half * P; // half an ulp, in units of 10^-s
    if (d < gap - TOL) return putDecimal(buf, pos, r, k, s);
    if (d < gap + TOL) return -1; // at the interval's edge: round-half-even decides
  }
  return -1;
}

/** Writes the decimal (r + k) * 10^-s (r a non-negative integer below 2^57, k a small integer), trailing
 *  zeros cut, as String() lays it out for 1e-6 <= value < 1e21; -1 outside that layout. */
function putDecimal(buf: Uint8Array, pos: number, r: number, k: number, s: number): number {
  // N = q * 1e9 + m; every product and difference here is exact (integers below 2^57 whose exact
  // result is below 2^53)
  let q = Math.floor(r / 1e9);
  let m = r - q * 1e9 + k;
  while (m < 0) {
    m += 1e9;
    q--;
  }
  while (m >= 1e9) {
    m -= 1e9;
    q++;
  }
  // both parts are below 1e9 < 2^31: int32 arithmetic (a double's % is a call to fmod), two digits
  // per division
  let lo = m | 0;
  let hi = q | 0;
  let n = 0;
  for (let i = 0; i < 4; i++) {
    const t = (lo / 100) | 0;
    const pair = lo - t * 100;
    digits[n++] = ONES[pair];
    digits[n++] = TENS[pair];
    lo = t;
  }
  digits[n++] = lo;
  while (hi > 0) {
    const t = (hi / 100) | 0;
    const pair = hi - t * 100;
    digits[n++] = ONES[pair];
    digits[n++] = TENS[pair];
    hi = t;
  }
  while (n > 1 && digits[n - 1] === 0) n--; // leading zeros (of the low part)
  let z = 0;
  while (z < n - 1 && digits[z] === 0) z++; // trailing zeros
  // value = digits[n-1..z] * 10^(z - s); `point` digits before the decimal point
  const point = n - s;
  if (point > 21 || point <= -6) return -1;
  if (point <= 0) {
    buf[pos++] = 48; // 0
    buf[pos++] = 46; // .
    for (let i = point; i < 0; i++) buf[pos++] = 48;
    for (let i = n - 1; i >= z; i--) buf[pos++] = 48 + digits[i];
    return pos;
  }
  for (let i = n - 1, j = 0; i >= z || j < point; i--, j++) {
    if (j === point) buf[pos++] = 46;
    buf[pos++] = 48 + (i >= z ? digits[i] : 0);
  }
  return pos;
}

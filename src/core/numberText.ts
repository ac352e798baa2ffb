// Numbers as users read them: messages, CI reports, hovers, notifications, the CLI and the panel.
// One rule everywhere, so a threshold reads the same in the CLI, a hover and the replay header; the
// callers choose only how many significant digits (a flag's report keeps 6, summaries 4).

/** `digits` significant digits with trailing zeros dropped; integers below 1e6 as they are; an
 *  exponent only from 1e6 up or below 1e-3. Not finite: as String() writes it. */
export function numberText(x: number, digits = 4): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0'; // and -0
  const a = Math.abs(x);
  if (a >= 1e6 || a < 1e-3) return x.toExponential(digits - 1).replace(/\.?0+e/, 'e');
  if (Number.isInteger(x)) return String(x);
  return String(Number(x.toPrecision(digits)));
}

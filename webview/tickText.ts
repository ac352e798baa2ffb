// The chart's numeric tick labels without Intl. chart.js writes a linear axis's ticks with an
// Intl.NumberFormat (its Ticks.formatters.numeric), and the first Intl number format in a page costs
// 40-160 ms here (ICU's number data is set up then), on the way to the first chart
// (docs/performance.md, "The page before the chart"). These functions give the text chart.js gives for
// the en-US locale, the chart's locale, character for character; the unit tests hold them to chart.js
// and Intl. No DOM, no chart.js import.

/** `new Intl.NumberFormat('en-US', {minimumFractionDigits: d, maximumFractionDigits: d}).format(x)`
 *  for a finite x and d in 0..20: the number's shortest round-trip decimal (as ICU takes a double),
 *  rounded half away from zero to d places, the integer part grouped by commas in threes, and a minus
 *  sign for any negative number, -0 included (as Intl writes -0.04 to one place: "-0.0"). */
export function fixedText(x: number, d: number): string {
  const neg = x < 0 || Object.is(x, -0);
  let { digits, point } = shortestDecimal(Math.abs(x));
  // digits are the value's significant digits, the value is 0.<digits> × 10^point
  const keep = point + d;
  if (keep < digits.length) {
    if (keep < 0) digits = '';
    else {
      const up = digits.charCodeAt(keep) >= 53; // '5' or more: away from zero
      digits = digits.slice(0, keep);
      if (up) {
        let i = digits.length - 1;
        while (i >= 0 && digits[i] === '9') i--;
        if (i < 0) {
          digits = '1' + '0'.repeat(digits.length);
          point += 1;
        } else
          digits =
            digits.slice(0, i) + String.fromCharCode(digits.charCodeAt(i) + 1) + '0'.repeat(digits.length - i - 1);
      }
    }
  }
  let int: string, frac: string;
  if (digits === '') {
    int = '0';
    frac = '0'.repeat(d);
  } else if (point <= 0) {
    int = '0';
    frac = ('0'.repeat(-point) + digits).padEnd(d, '0');
  } else {
    int = digits.slice(0, point).padEnd(point, '0');
    frac = digits.slice(point).padEnd(d, '0');
  }
  return (neg ? '-' : '') + grouped(int) + (d > 0 ? `.${frac}` : '');
}

/** An integer's digits with a comma between each group of three ("1234567" -> "1,234,567"). */
export function grouped(int: string): string {
  let out = '';
  for (let end = int.length; end > 0; end -= 3) out = int.slice(Math.max(end - 3, 0), end) + (out ? `,${out}` : '');
  return out;
}

/** chart.js's label for a linear axis tick (Ticks.formatters.numeric) under the en-US locale, or null
 *  where chart.js would write the number in scientific notation (ticks up to 1e-4 or past 1e15) or the
 *  value is not finite: the caller then asks chart.js's own formatter. */
export function tickText(value: number, ticks: readonly { value: number }[]): string | null {
  if (value === 0) return '0';
  if (!Number.isFinite(value)) return null;
  let delta = value;
  if (ticks.length > 1) {
    const maxTick = Math.max(Math.abs(ticks[0].value), Math.abs(ticks[ticks.length - 1].value));
    if (maxTick < 1e-4 || maxTick > 1e15) return null;
    // chart.js's calculateDelta: the ticks' spacing, or a fractional tick's own fraction
    delta = ticks.length > 3 ? ticks[2].value - ticks[1].value : ticks[1].value - ticks[0].value;
    if (Math.abs(delta) >= 1 && value !== Math.floor(value)) delta = value - Math.floor(value);
  }
  const logDelta = Math.log10(Math.abs(delta));
  const places = isNaN(logDelta) ? 1 : Math.max(Math.min(-1 * Math.floor(logDelta), 20), 0);
  return fixedText(value, places);
}

/** The shortest decimal that reads back as `a` (a finite number, not negative), as significant digits
 *  and the decimal point's place: a = 0.<digits> × 10^point (no digits for 0). */
function shortestDecimal(a: number): { digits: string; point: number } {
  if (a === 0) return { digits: '', point: 0 };
  const s = String(a); // shortest round trip; exponent form below 1e-6 and from 1e21
  const e = s.indexOf('e');
  const mant = e < 0 ? s : s.slice(0, e);
  const dot = mant.indexOf('.');
  let digits = dot < 0 ? mant : mant.slice(0, dot) + mant.slice(dot + 1);
  let point = (dot < 0 ? mant.length : dot) + (e < 0 ? 0 : Number(s.slice(e + 1)));
  let lead = 0;
  while (digits[lead] === '0') lead++;
  digits = digits.slice(lead).replace(/0+$/, '');
  point -= lead;
  return { digits, point };
}

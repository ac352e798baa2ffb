// The exact false-alarm bound the detection tests use. Given a split-conformal threshold at rank k of
// n held-out episodes, the false-alarm rate of exchangeable new episodes is Beta(k, n + 1 - k)
// distributed, so the number flagged among N new episodes is Beta-binomial.

/** log Gamma(x), Lanczos approximation (g = 7), accurate to ~1e-15 for x > 0. */
function lgamma(x: number): number {
  // The published coefficients, written with more digits than a double holds.
  /* eslint-disable no-loss-of-precision */
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61503916999185,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  /* eslint-enable no-loss-of-precision */
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lgamma(1 - x);
  x -= 1;
  let a = c[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}
const lbeta = (a: number, b: number) => lgamma(a) + lgamma(b) - lgamma(a + b);
const lchoose = (n: number, k: number) => lgamma(n + 1) - lgamma(k + 1) - lgamma(n - k + 1);

/** Smallest x with P(X <= x) >= q for X ~ BetaBinomial(N, a, b). */
export function betaBinomialQuantile(N: number, a: number, b: number, q: number): number {
  let cdf = 0;
  for (let x = 0; x <= N; x++) {
    cdf += Math.exp(lchoose(N, x) + lbeta(x + a, N - x + b) - lbeta(a, b));
    if (cdf >= q) return x;
  }
  return N;
}

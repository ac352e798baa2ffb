// Blame (issue 14): the latest step t at or before the flag such that handing control to a reference
// agent at t still avoids the flag. `avoids(t)` is one fork; forks are costly, so the search bisects,
// assuming the outcome is monotone in t (avoided up to some step, not after). That assumption is
// checked where it is cheap: at step 0 and at the step just below the boundary found. When a check
// fails the outcome is not monotone, and the steps above the boundary that bisection skipped are
// scanned from the latest down, so the answer is still the latest avoiding step.

export interface Probe {
  step: number;
  avoided: boolean;
}

export interface SearchResult {
  /** null: no step up to the flag avoids it */
  pointOfNoReturn: number | null;
  /** false when two probes contradict a monotone outcome (then the steps between were scanned) */
  monotone: boolean;
  /** in the order they ran */
  probes: Probe[];
}

export async function findPointOfNoReturn(
  flaggedStep: number,
  avoids: (t: number) => Promise<boolean>,
): Promise<SearchResult> {
  const probes: Probe[] = [];
  const known = new Map<number, boolean>();
  const probe = async (t: number): Promise<boolean> => {
    const hit = known.get(t);
    if (hit !== undefined) return hit;
    const avoided = await avoids(t);
    known.set(t, avoided);
    probes.push({ step: t, avoided });
    return avoided;
  };
  /** latest avoiding step among lo+1..hi-1 not yet probed, from the latest down */
  const scan = async (lo: number, hi: number): Promise<number | null> => {
    for (let t = hi - 1; t > lo; t--) if (await probe(t)) return t;
    return null;
  };
  const F = flaggedStep;
  if (await probe(F)) return { pointOfNoReturn: F, monotone: true, probes };
  if (F === 0) return { pointOfNoReturn: null, monotone: true, probes };
  if (!(await probe(0))) {
    // monotone would mean nothing avoids it; a later step might all the same
    const found = await scan(0, F);
    return { pointOfNoReturn: found, monotone: found === null, probes };
  }
  let lo = 0;
  let hi = F;
  while (hi - lo > 1) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (await probe(mid)) lo = mid;
    else hi = mid;
  }
  if (lo > 0 && !(await probe(lo - 1))) {
    // avoided at lo but not just before it: bisection's skipped steps above lo may avoid it too
    const found = await scanSkipped(lo, F, known, probe);
    return { pointOfNoReturn: found ?? lo, monotone: false, probes };
  }
  return { pointOfNoReturn: lo, monotone: true, probes };
}

async function scanSkipped(
  lo: number,
  F: number,
  known: Map<number, boolean>,
  probe: (t: number) => Promise<boolean>,
): Promise<number | null> {
  for (let t = F - 1; t > lo; t--) {
    if (known.get(t) === false) continue;
    if (await probe(t)) return t;
  }
  return null;
}

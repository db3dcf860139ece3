// The statistics the harness reports for a row's samples: the median (what targets are
// judged on), the extremes, and the spread around the median: the median absolute
// deviation (MAD, robust to the one sample a collection or another process spoiled) and
// the 75th and 99th percentiles (linear interpolation between order statistics, as R's
// default and NumPy's 'linear'; with few samples p99 is close to the largest). Each
// sample is already a mean over many iterations (ns per op of one timed loop), so these
// describe how the loop's figure moves from sample to sample, not single calls.

/** A summary of a non-empty list of samples. */
export interface Summary {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /** Median absolute deviation from the median (not scaled to a standard deviation). */
  readonly mad: number;
  readonly p75: number;
  readonly p99: number;
}

/** The median of a non-empty list (mean of the middle two for an even length). */
export function median(xs: readonly number[]): number {
  return quantile(xs, 0.5);
}

/**
 * The `q` quantile (0..1) of a non-empty list: linear interpolation between the two
 * order statistics around position q x (n - 1).
 */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) throw new RangeError('quantile of no samples');
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile ${q} is outside 0..1`);
  const s = [...xs].sort((a, b) => a - b);
  const h = (s.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, s.length - 1);
  return s[lo]! + (h - lo) * (s[hi]! - s[lo]!);
}

/** Median, extremes, MAD, p75 and p99 of a non-empty list of samples. */
export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) throw new RangeError('a summary needs at least one sample');
  const m = median(samples);
  return {
    median: m,
    min: Math.min(...samples),
    max: Math.max(...samples),
    mad: median(samples.map((x) => Math.abs(x - m))),
    p75: quantile(samples, 0.75),
    p99: quantile(samples, 0.99),
  };
}

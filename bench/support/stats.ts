/** Small order statistics for bench samples. */

export function sorted(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

/** Nearest-rank percentile (p in 0..100) of a non-empty sample. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new Error('Expected a non-empty sample, got none.');
  const s = sorted(values);
  const rank = Math.min(s.length, Math.max(1, Math.ceil((p / 100) * s.length)));
  return s[rank - 1];
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('Expected a non-empty sample, got none.');
  const s = sorted(values);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export function mean(values: readonly number[]): number {
  if (values.length === 0) throw new Error('Expected a non-empty sample, got none.');
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** Rounds to `digits` decimals, for printing and JSON. */
export function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export interface Summary {
  n: number;
  median: number;
  p90: number;
  min: number;
  max: number;
  mean: number;
}

export function summarize(values: readonly number[], digits = 2): Summary {
  const s = sorted(values);
  return {
    n: s.length,
    median: round(median(s), digits),
    p90: round(percentile(s, 90), digits),
    min: round(s[0], digits),
    max: round(s[s.length - 1], digits),
    mean: round(mean(s), digits),
  };
}

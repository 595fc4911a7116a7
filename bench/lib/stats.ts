// Order statistics for the bench: medians and percentiles, never means (one slow GC pause must not move a figure).

/**
 * The p-th percentile (0..100) of xs by linear interpolation between closest ranks (numpy's default, "linear"):
 * rank r = p/100 * (n-1); value = x[floor r] + (r - floor r) * (x[ceil r] - x[floor r]). NaN for an empty list.
 */
export function percentile(xs: readonly number[], p: number): number {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be in 0..100, got ${p}`);
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const r = (p / 100) * (s.length - 1);
  const lo = Math.floor(r);
  const hi = Math.ceil(r);
  return s[lo]! + (r - lo) * (s[hi]! - s[lo]!);
}

export function median(xs: readonly number[]): number {
  return percentile(xs, 50);
}

export interface Summary {
  n: number;
  p50: number;
  p90: number;
  min: number;
  max: number;
}

export function summarize(xs: readonly number[]): Summary {
  return {
    n: xs.length,
    p50: percentile(xs, 50),
    p90: percentile(xs, 90),
    min: xs.length ? Math.min(...xs) : NaN,
    max: xs.length ? Math.max(...xs) : NaN,
  };
}

/** a / b, or null when either is missing or b is not positive (a ratio the run could not measure). */
export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a === null || a === undefined || b === null || b === undefined) return null;
  if (!Number.isFinite(a) || !Number.isFinite(b) || b <= 0) return null;
  return a / b;
}

/** Rounds for JSON output (ms to 0.1, ratios to 0.001); keeps null. */
export function round(x: number | null | undefined, digits = 1): number | null {
  if (x === null || x === undefined || !Number.isFinite(x)) return null;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/**
 * Completion rate from answer times (ms) inside a window, without the ±1-answer quantization of count / window:
 * answers after the first completion event over the time from the first to the last event. Answers closer than a
 * quarter of the mean spacing (at least `clumpMs`) form one event: a dynamic batch answers several requests within
 * a few tens of ms, so periodic clumps of b answers every T ms give b / T. Returns null with fewer than two events.
 */
export function completionRate(doneAt: readonly number[], clumpMs = 10): { answers: number; spanMs: number } | null {
  if (doneAt.length < 2) return null;
  const t = [...doneAt].sort((a, b) => a - b);
  const gap = Math.max(clumpMs, (0.25 * (t[t.length - 1]! - t[0]!)) / (t.length - 1));
  let firstEvent = 1;
  while (firstEvent < t.length && t[firstEvent]! - t[firstEvent - 1]! < gap) firstEvent++;
  if (firstEvent === t.length) return null;
  return { answers: t.length - firstEvent, spanMs: t[t.length - 1]! - t[0]! };
}

/** Small robust statistics for the detectors (floats: they judge, they never count money). */

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Median absolute deviation, scaled by 1.4826 so that it estimates a standard deviation. */
export function robustSigma(xs: readonly number[], centre = median(xs)): number {
  return 1.4826 * median(xs.map((x) => Math.abs(x - centre)));
}

/** The q-quantile (0..1) by linear interpolation between order statistics. */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}

/** Picos as float dollars, for comparisons and ratios only. */
export function dollars(p: bigint): number {
  return Number(p) / 1e12;
}

/** Float dollars back to picos (for thresholds derived from statistics). */
export function picos(usd: number): bigint {
  return BigInt(Math.round(usd * 1e6)) * 1_000_000n;
}

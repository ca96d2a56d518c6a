/** A count for people, with thousands separators: "12,345". */
export function countText(n: number): string {
  return n.toLocaleString('en-US');
}

/** A size for people: MB from 1 MB up (a tenth shown when it has one, so 1.5 MB does not read as 2), whole KB below that, bytes below 1 KB. */
export function byteSize(bytes: number): string {
  if (bytes >= 1048576) return `${Math.round(bytes / 104857.6) / 10} MB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${Math.round(bytes)} bytes`;
}

/** A length of time for people: minutes below two hours, hours below two days, days beyond. */
export function spanText(ms: number): string {
  if (ms < 2 * 3_600_000) {
    const n = Math.max(1, Math.round(ms / 60_000));
    return n === 1 ? '1 minute' : `${n} minutes`;
  }
  if (ms < 2 * 86_400_000) return `${(ms / 3_600_000).toFixed(1)} hours`;
  return `${(ms / 86_400_000).toFixed(1)} days`;
}

/** A share as a whole percentage: 0.856 → "86%". */
export function wholePercent(share: number): string {
  return `${Math.round(share * 100)}%`;
}

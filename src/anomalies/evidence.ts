import { wholePercent } from '../core/count-text.js';
import { type Dimension, isDimension } from '../core/ledger-row.js';
import { type Picos, displayUsd } from '../core/money.js';

/** The admin report that shows a detection's traffic: `/admin/v1/report?since=…&until=…&by=…`. */
export function reportPath(since: number, until: number, by: readonly string[]): string {
  const q = new URLSearchParams({ since: new Date(since).toISOString(), until: new Date(until).toISOString(), by: by.join(',') });
  return `/admin/v1/report?${q.toString()}`;
}

/** The window and dimensions of a `reportPath` (what the evidence page shows). */
export function reportQuery(path: string): { since: number; until: number; by: Dimension[] } {
  const q = new URLSearchParams(path.slice(path.indexOf('?') + 1));
  return { since: Date.parse(q.get('since') ?? ''), until: Date.parse(q.get('until') ?? ''), by: (q.get('by') ?? '').split(',').filter(isDimension) };
}

/** "$12.34" for messages. */
export function usdText(p: Picos): string {
  return displayUsd(p);
}

/** A span for people: seconds under a minute and a half ("32 s"), else as minutesText. */
export function spanText(ms: number): string {
  return ms < 90_000 ? `${Math.max(1, Math.round(ms / 1000))} s` : minutesText(ms);
}

export function minutesText(ms: number): string {
  const min = Math.round(ms / 60_000);
  return min % 60 === 0 && min > 0 ? `${min / 60} h` : `${min} min`;
}

export function percentText(share: number): string {
  return wholePercent(share);
}

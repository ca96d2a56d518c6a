import { type Picos, displayUsd } from '../core/money.js';

/** The admin report that shows a detection's traffic: `/admin/v1/report?since=…&until=…&by=…`. */
export function reportPath(since: number, until: number, by: readonly string[]): string {
  const q = new URLSearchParams({ since: new Date(since).toISOString(), until: new Date(until).toISOString(), by: by.join(',') });
  return `/admin/v1/report?${q.toString()}`;
}

/** "$12.34" for messages. */
export function usdText(p: Picos): string {
  return displayUsd(p);
}

export function minutesText(ms: number): string {
  const min = Math.round(ms / 60_000);
  return min % 60 === 0 && min > 0 ? `${min / 60} h` : `${min} min`;
}

export function percentText(share: number): string {
  return `${Math.round(share * 100)}%`;
}

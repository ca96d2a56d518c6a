import { DateTime } from 'luxon';
import type { Picos } from '../core/money.js';

/** "2026-12-01 00:00 Europe/Berlin": a time as the organisation's calendar sees it. */
export function displayTime(ms: number, timeZone: string): string {
  const local = DateTime.fromMillis(ms, { zone: timeZone });
  if (!local.isValid) return `${DateTime.fromMillis(ms, { zone: 'UTC' }).toFormat('yyyy-MM-dd HH:mm')} UTC`;
  return `${local.toFormat('yyyy-MM-dd HH:mm')} ${timeZone}`;
}

export function iso(ms: number): string;
export function iso(ms: number | null): string | null;
export function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/** Share of the limit used, in whole percent (rounded down, so 99.9% never reads as 100%). */
export function percentOf(spent: Picos, limit: Picos): number {
  if (limit <= 0n) return 100;
  return Number((spent * 100n) / limit);
}

/**
 * Text written by users (reasons, notes, names) inside a chat message. Slack reads `<…>` as
 * links and mentions (`<!channel>`), so `&`, `<` and `>` are escaped as Slack asks; line
 * breaks are flattened and long text is cut so one alert stays one short message.
 */
export function chatText(s: string, max = 300): string {
  const flat = s.replace(/\s+/g, ' ').trim();
  const cut = flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
  return cut.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A message for people with every dollar figure ("$1,234.56", "$3.20/h") replaced by "…" (`policy.show_amounts: false`). */
export function withoutAmounts(text: string): string {
  return text.replace(/-?\$[\d,]+(\.\d+)?(\/h)?/g, '…');
}

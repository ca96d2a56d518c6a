import { isErrorOutcome } from '../storage/schema.js';
import type { CallerTotals, RequestPoint } from '../storage/ports.js';
import { minutesText, percentText, reportPath, usdText } from './evidence.js';
import type { Detection, StormSettings } from './types.js';

/** A caller's totals over the window, with example failed request ids when they are at hand. */
export interface CallerActivity extends CallerTotals {
  failedIds?: string[];
}

/**
 * A retry storm: one caller (its key, else its user, else its client) with many failed
 * requests and upstream retries in a short window, most of its requests failing. The
 * dollar figure is what the failed requests cost (often little: the harm is the load and
 * the rate limits it burns for everyone else). The totals are summed by the database
 * (storage `callerTotals`, which spells the same rules in SQL) or by `callerActivity`.
 */
export function retryStorms(callers: readonly CallerActivity[], now: number, s: StormSettings): Detection[] {
  const start = now - s.windowMs;
  const out: Detection[] = [];
  for (const c of callers) {
    const events = c.failed + c.retries;
    const share = c.failed / c.requests;
    if (events < s.minEvents || share < s.minErrorShare) continue;
    out.push({
      detector: 'retry_storm',
      subject: c.caller,
      windowStart: start,
      windowEnd: now,
      severity: events >= 5 * s.minEvents ? 'critical' : 'warning',
      excessPicos: c.failedCostPicos,
      message: `${c.caller}${c.user && !c.caller.startsWith('user:') ? ` (user:${c.user})` : ''} sent ${c.requests} requests in ${minutesText(s.windowMs)}: ${c.failed} failed (${percentText(share)}) and ${c.retries} were retried upstream (${usdText(c.failedCostPicos)} spent on failures).`,
      evidence: { report: reportPath(start, now, reportBy(c.caller)), requestIds: c.failedIds ?? [], sessionIds: [] },
      // One alert per caller per clock hour while it lasts.
      key: `retry_storm:${c.caller}:${Math.floor(now / 3_600_000)}`,
    });
  }
  return out;
}

/**
 * The report of a storm: by the caller's own dimension first, so that its evidence (the report, the
 * page's traffic cut to the subject) shows the caller's requests; a user's or a client's storm by key
 * showed everyone's traffic of the window.
 */
function reportBy(caller: string): string[] {
  if (caller.startsWith('user:')) return ['user', 'client', 'api'];
  if (caller.startsWith('client:')) return ['client', 'api'];
  return ['key', 'client', 'api'];
}

/** How many example ids a retry storm's evidence carries. */
export const STORM_EXAMPLES = 5;

/** Sums request points of [since, until) per caller, as storage `callerTotals` does in SQL (for tests and callers holding points). */
export function callerActivity(points: readonly RequestPoint[], since: number, until: number): CallerActivity[] {
  const callers = new Map<string, CallerActivity & { failedIds: string[] }>();
  const users = new Map<string, Set<string>>();
  for (const p of points) {
    if (p.ts < since || p.ts >= until) continue;
    const who = caller(p);
    let c = callers.get(who);
    if (!c) callers.set(who, (c = { caller: who, requests: 0, failed: 0, retries: 0, failedCostPicos: 0n, failedIds: [] }));
    c.requests++;
    c.retries += Math.max(0, p.attempts - 1);
    if (failed(p)) {
      c.failed++;
      c.failedCostPicos += p.costPicos;
      if (c.failedIds.length < STORM_EXAMPLES) c.failedIds.push(p.id);
      if (p.user) users.set(who, (users.get(who) ?? new Set()).add(p.user));
    }
  }
  for (const [who, names] of users) if (names.size === 1) callers.get(who)!.user = [...names][0]!;
  return [...callers.values()];
}

/**
 * An error outcome, a 429 or a 5xx, but not the gateway's own refusal (a budget's 402, a rate
 * limit's 429, a bad key): it reached no provider and costs nothing, and budgets alert on their own.
 */
function failed(p: RequestPoint): boolean {
  return p.outcome !== 'rejected' && (isErrorOutcome(p.outcome) || p.status === 429 || p.status >= 500);
}

function caller(p: RequestPoint): string {
  if (p.keyId) return `key:${p.keyId}`;
  if (p.user) return `user:${p.user}`;
  return `client:${p.client ?? 'unknown'}`;
}

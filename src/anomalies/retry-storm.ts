import { isErrorOutcome } from '../storage/schema.js';
import type { RequestPoint } from '../storage/ports.js';
import { minutesText, percentText, reportPath, usdText } from './evidence.js';
import type { Detection, StormSettings } from './types.js';

/**
 * A retry storm: one caller (its key, else its user, else its client) with many failed
 * requests and upstream retries in a short window, most of its requests failing. The
 * dollar figure is what the failed requests cost (often little: the harm is the load and
 * the rate limits it burns for everyone else).
 */
export function retryStorms(points: readonly RequestPoint[], now: number, s: StormSettings): Detection[] {
  const start = now - s.windowMs;
  const callers = new Map<string, { requests: number; errors: number; retries: number; cost: bigint; ids: string[] }>();
  for (const p of points) {
    if (p.ts < start || p.ts >= now) continue;
    const who = caller(p);
    let c = callers.get(who);
    if (!c) callers.set(who, (c = { requests: 0, errors: 0, retries: 0, cost: 0n, ids: [] }));
    c.requests++;
    c.retries += Math.max(0, p.attempts - 1);
    if (isErrorOutcome(p.outcome) || p.status === 429 || p.status >= 500) {
      c.errors++;
      c.cost += p.costPicos;
      if (c.ids.length < 5) c.ids.push(p.id);
    }
  }
  const out: Detection[] = [];
  for (const [who, c] of callers) {
    const events = c.errors + c.retries;
    const share = c.errors / c.requests;
    if (events < s.minEvents || share < s.minErrorShare) continue;
    out.push({
      detector: 'retry_storm',
      subject: who,
      windowStart: start,
      windowEnd: now,
      severity: events >= 5 * s.minEvents ? 'critical' : 'warning',
      excessPicos: c.cost,
      message: `${who} sent ${c.requests} requests in ${minutesText(s.windowMs)}: ${c.errors} failed (${percentText(share)}) and ${c.retries} were retried upstream (${usdText(c.cost)} spent on failures).`,
      evidence: { report: reportPath(start, now, ['key', 'client', 'api']), requestIds: c.ids, sessionIds: [] },
      // One alert per caller per clock hour while it lasts.
      key: `retry_storm:${who}:${Math.floor(now / 3_600_000)}`,
    });
  }
  return out;
}

function caller(p: RequestPoint): string {
  if (p.keyId) return `key:${p.keyId}`;
  if (p.user) return `user:${p.user}`;
  return `client:${p.client ?? 'unknown'}`;
}

import { setTimeout as wait } from 'node:timers/promises';
import { fetchFailureReason } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { AlertOutbox, OutboxEntry } from './outbox.js';
import { type RetryPolicy, backoffMs, isRetryableStatus, retryAfterMs } from './retry.js';

export interface WebhookTarget {
  url: string;
  /** Alert types or globs ("increase.*"); every alert when absent, none when empty. */
  events?: string[];
  headers?: Record<string, string>;
}

export interface DeliveryOptions {
  fetch: typeof fetch;
  retry: RetryPolicy;
  timeoutMs: number;
  queueSize: number;
  log: Logger;
  /** Aborted when the sink gives up at shutdown: ends waits and requests at once. */
  stop: AbortSignal;
  /** Where alerts wait until delivered; absent, they live in this process's memory only. */
  outbox?: OutboxLink;
}

export interface OutboxLink {
  store: AlertOutbox;
  /** This process, as the holder of leases. */
  owner: string;
  /** How long an alert is retried before it is given up on. */
  retryMs: number;
  now: () => number;
}

/**
 * How long a process holds an alert it is about to try: one try and the wait before the next
 * (30 s at most). An alert queued behind others may lose its lease meanwhile; it is then tried
 * by whichever process takes it, and skipped by this one.
 */
export const LEASE_MS = 60_000;

/** Between tries of an alert past its first `maxAttempts` (about three minutes of them): give or take 20%. */
export const SLOW_RETRY_MS = 5 * 60_000;

/** An alert in a queue, and whether it is in the outbox (resolved once known). */
interface Queued {
  entry: OutboxEntry;
  saved: Promise<boolean>;
}


type Outcome = { ok: true } | { ok: false; retry: boolean; reason: string; retryAfterMs?: number };

/**
 * One webhook's queue, delivered in order, one alert at a time, so a slow or dead receiver
 * delays only its own alerts. With an outbox, each alert is kept there until delivered: one that
 * fails its first tries is tried again every few minutes, by any process, until `retryMs` has
 * passed. When the queue is full the oldest alert leaves memory (and waits in the outbox, when
 * there is one): a recent alert is worth more than a stale one.
 */
export class WebhookQueue {
  private readonly target: WebhookTarget;
  private readonly o: DeliveryOptions;
  /** For logs: a webhook URL's path is often its secret (Slack), so only the origin is shown. */
  private readonly where: string;
  private readonly pending: Queued[] = [];
  /** Ids queued or being tried: an alert claimed back from the outbox is not queued twice. */
  private readonly held = new Set<string>();
  private dropped = 0;
  private active = false;
  private drained: Promise<void> = Promise.resolve();

  constructor(target: WebhookTarget, o: DeliveryOptions) {
    this.target = target;
    this.o = o;
    this.where = originOf(target.url);
  }

  /** A new alert: kept in the outbox, leased to this process, and queued. */
  push(entry: OutboxEntry): void {
    const box = this.o.outbox;
    const saved = box
      ? box.store.add(entry, box.owner, box.now() + LEASE_MS).then(
          () => true,
          (err: unknown) => {
            this.o.log.warn('alert outbox unavailable: the alert is kept in memory only', { url: this.where, err: String(err) });
            return false;
          },
        )
      : Promise.resolve(false);
    this.enqueue({ entry, saved });
  }

  /** An alert claimed from the outbox. */
  resume(entry: OutboxEntry): void {
    if (!this.held.has(entry.id)) this.enqueue({ entry, saved: Promise.resolve(true) });
  }

  private enqueue(q: Queued): void {
    this.pending.push(q);
    this.held.add(q.entry.id);
    if (this.pending.length > this.o.queueSize) {
      this.held.delete(this.pending.shift()!.entry.id);
      this.dropped++;
    }
    if (!this.active) {
      this.active = true;
      this.drained = this.drain();
    }
  }

  /** Alerts queued or being delivered. */
  get backlog(): number {
    return this.pending.length + (this.active ? 1 : 0);
  }

  /** Resolves when everything queued so far has been delivered or given up on. */
  idle(): Promise<void> {
    return this.drained;
  }

  private async drain(): Promise<void> {
    try {
      for (let q = this.pending.shift(); q !== undefined; q = this.pending.shift()) {
        this.reportDropped();
        // The sink has given up (shutdown) and has already logged what was left.
        if (this.o.stop.aborted) {
          this.pending.length = 0;
          break;
        }
        try {
          await this.deliver(q.entry, await q.saved);
        } finally {
          this.held.delete(q.entry.id);
        }
      }
      this.reportDropped();
    } catch (err) {
      this.o.log.error('alert webhook queue failed', { url: this.where, err: String(err) });
    } finally {
      this.held.clear();
      this.active = false;
    }
  }

  private reportDropped(): void {
    if (this.dropped === 0) return;
    const kept = this.o.outbox ? ' from memory; they wait in the outbox' : '';
    this.o.log.warn(`alert webhook queue full: dropped the oldest alerts${kept}`, { url: this.where, dropped: this.dropped });
    this.dropped = 0;
  }

  private async deliver(e: OutboxEntry, saved: boolean): Promise<void> {
    const { retry, log, stop } = this.o;
    const box = saved ? this.o.outbox : undefined;
    // Past the first tries (an alert claimed back from the outbox), one try each time.
    const allowed = e.tries >= retry.maxAttempts ? 1 : retry.maxAttempts - e.tries;
    for (let n = 1; ; n++) {
      if (box && !(await this.stillOurs(box, e.id))) return;
      const outcome = await this.attempt(e.body);
      const tries = e.tries + n;
      if (outcome.ok) return this.settle(box, e.id);
      if (!outcome.retry) {
        log.warn('alert webhook delivery failed', { url: this.where, attempts: tries, reason: outcome.reason });
        return this.settle(box, e.id);
      }
      if (box && stop.aborted) return this.release(box, e, tries, box.now(), outcome.reason);
      if (n >= allowed || stop.aborted) {
        const now = box?.now() ?? 0;
        if (box && now - e.createdAt < box.retryMs) {
          if (n === allowed && e.tries < retry.maxAttempts) log.warn('alert webhook delivery failed: kept in the outbox and tried again every few minutes', { url: this.where, attempts: tries, reason: outcome.reason });
          return this.release(box, e, tries, now + backoffMs({ ...retry, baseMs: SLOW_RETRY_MS, maxDelayMs: SLOW_RETRY_MS }, 0), outcome.reason);
        }
        log.warn(box ? 'alert webhook delivery given up' : 'alert webhook delivery failed', { url: this.where, attempts: tries, reason: outcome.reason });
        return this.settle(box, e.id);
      }
      const delay = outcome.retryAfterMs ?? backoffMs(retry, e.tries + n - 1);
      log.debug('alert webhook delivery will be retried', { url: this.where, attempt: tries, reason: outcome.reason, delayMs: delay });
      // Unref'd: a pending retry alone does not keep the process up; close() is the way to wait.
      await wait(delay, undefined, { signal: stop, ref: false }).catch(() => undefined);
    }
  }

  /** False when another process has delivered the alert or holds it now; true too when the outbox cannot say (it is tried). */
  private stillOurs(box: OutboxLink, id: string): Promise<boolean> {
    return box.store.renew(id, box.owner, box.now(), box.now() + LEASE_MS).catch(() => true);
  }

  private async settle(box: OutboxLink | undefined, id: string): Promise<void> {
    await box?.store.remove(id).catch((err: unknown) => this.o.log.warn('alert outbox: could not remove a delivered alert (it may be sent again)', { url: this.where, err: String(err) }));
  }

  private async release(box: OutboxLink, e: OutboxEntry, tries: number, nextAt: number, reason: string): Promise<void> {
    await box.store.later(e.id, tries, nextAt, reason).catch(() => undefined);
  }

  private async attempt(body: string): Promise<Outcome> {
    try {
      const res = await this.o.fetch(this.target.url, {
        method: 'POST',
        headers: { ...this.target.headers, 'content-type': 'application/json' },
        body,
        signal: AbortSignal.any([AbortSignal.timeout(this.o.timeoutMs), this.o.stop]),
        // Followed, a redirect would take the headers configured for this webhook (its token) to another address.
        redirect: 'manual',
      });
      if (res.ok) {
        await res.body?.cancel().catch(() => undefined);
        return { ok: true };
      }
      if (res.status >= 300 && res.status < 400) {
        await res.body?.cancel().catch(() => undefined);
        const to = originOf(res.headers.get('location') ?? '', this.target.url);
        return { ok: false, retry: false, reason: `HTTP ${res.status}: the webhook redirects to ${to}; alerts are not sent on to another address (the headers configured for this one would go with them): configure the address it redirects to` };
      }
      const detail = await res.text().then((t) => t.slice(0, 200), () => '');
      const reason = `HTTP ${res.status}${detail ? `: ${detail}` : ''}`;
      if (!isRetryableStatus(res.status)) return { ok: false, retry: false, reason };
      return { ok: false, retry: true, reason, retryAfterMs: retryAfterMs(res.headers.get('retry-after'), Date.now(), this.o.retry.maxRetryAfterMs) };
    } catch (err) {
      return { ok: false, retry: true, reason: fetchFailureReason(err) };
    }
  }
}

function originOf(url: string, base?: string): string {
  try {
    return new URL(url, base).origin;
  } catch {
    return '(invalid URL)';
  }
}

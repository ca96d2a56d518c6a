import { setTimeout as wait } from 'node:timers/promises';
import { fetchFailureReason } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
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
}

type Outcome = { ok: true } | { ok: false; retry: boolean; reason: string; retryAfterMs?: number };

/**
 * One webhook's queue, delivered in order, one alert at a time, so a slow or dead receiver
 * delays only its own alerts. When the queue is full the oldest alert goes: a recent
 * alert is worth more than a stale one.
 */
export class WebhookQueue {
  private readonly target: WebhookTarget;
  private readonly o: DeliveryOptions;
  /** For logs: a webhook URL's path is often its secret (Slack), so only the origin is shown. */
  private readonly where: string;
  private readonly pending: string[] = [];
  private dropped = 0;
  private active = false;
  private drained: Promise<void> = Promise.resolve();

  constructor(target: WebhookTarget, o: DeliveryOptions) {
    this.target = target;
    this.o = o;
    this.where = originOf(target.url);
  }

  push(body: string): void {
    this.pending.push(body);
    if (this.pending.length > this.o.queueSize) {
      this.pending.shift();
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
      for (let body = this.pending.shift(); body !== undefined; body = this.pending.shift()) {
        this.reportDropped();
        // The sink has given up (shutdown) and has already logged what was left.
        if (this.o.stop.aborted) {
          this.pending.length = 0;
          break;
        }
        await this.deliver(body);
      }
      this.reportDropped();
    } catch (err) {
      this.o.log.error('alert webhook queue failed', { url: this.where, err: String(err) });
    } finally {
      this.active = false;
    }
  }

  private reportDropped(): void {
    if (this.dropped === 0) return;
    this.o.log.warn('alert webhook queue full: dropped the oldest alerts', { url: this.where, dropped: this.dropped });
    this.dropped = 0;
  }

  private async deliver(body: string): Promise<void> {
    const { retry, log, stop } = this.o;
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.attempt(body);
      if (outcome.ok) return;
      if (!outcome.retry || attempt >= retry.maxAttempts || stop.aborted) {
        log.warn('alert webhook delivery failed', { url: this.where, attempts: attempt, reason: outcome.reason });
        return;
      }
      const delay = outcome.retryAfterMs ?? backoffMs(retry, attempt - 1);
      log.debug('alert webhook delivery will be retried', { url: this.where, attempt, reason: outcome.reason, delayMs: delay });
      // Unref'd: a pending retry alone does not keep the process up; close() is the way to wait.
      await wait(delay, undefined, { signal: stop, ref: false }).catch(() => undefined);
    }
  }

  private async attempt(body: string): Promise<Outcome> {
    try {
      const res = await this.o.fetch(this.target.url, {
        method: 'POST',
        headers: { ...this.target.headers, 'content-type': 'application/json' },
        body,
        signal: AbortSignal.any([AbortSignal.timeout(this.o.timeoutMs), this.o.stop]),
      });
      if (res.ok) {
        await res.body?.cancel().catch(() => undefined);
        return { ok: true };
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

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(invalid URL)';
  }
}

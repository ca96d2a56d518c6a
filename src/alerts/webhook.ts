import { compileGlobs } from '../core/glob.js';
import type { Logger } from '../core/logger.js';
import { type AlertEvent, type AlertSink, renderAlert } from './events.js';
import { randomUUID } from 'node:crypto';
import { newRequestId } from '../core/ids.js';
import { LEASE_MS, type OutboxLink, WebhookQueue, type WebhookTarget } from './delivery.js';
import { DEFAULT_POST_TIMEOUT_SECONDS, DEFAULT_RETRY_HOURS } from './defaults.js';
import { type AlertOutbox, webhookTargetId } from './outbox.js';
import { DEFAULT_RETRY, type RetryPolicy } from './retry.js';

export type { AlertSink } from './events.js';
export type { WebhookTarget } from './delivery.js';

export interface WebhookSinkConfig {
  webhooks: readonly WebhookTarget[];
  showAmounts: boolean;
  /** Zone for times in alert text; UTC when absent. */
  timeZone?: string;
  log: Logger;
  /** For tests; the global fetch otherwise. */
  fetch?: typeof fetch;
  retry?: Partial<RetryPolicy>;
  /** Per request. */
  timeoutMs?: number;
  /** Alerts held in memory per webhook while it is slow or down. */
  queueSize?: number;
  /** Keeps alerts until delivered, across restarts and replicas (storage's); absent, in memory only. */
  outbox?: AlertOutbox;
  /** How long an alert in the outbox is retried (DEFAULT_RETRY_HOURS). */
  retryHours?: number;
  /** How often the outbox is looked at for alerts due (PUMP_MS); 0 never (a short-lived CLI command leaves them to the gateway). */
  pumpMs?: number;
  now?: () => number;
}

/** How long close() waits by default. */
const DEFAULT_TIMEOUT_MS = 5000;

const DEFAULT_QUEUE_SIZE = 1000;
/** Alerts due in the outbox (released by a stopped process, or tried again later) wait at most this long. */
const PUMP_MS = 30_000;
/** Alerts claimed from the outbox per webhook and look (a webhook whose queue is still busy takes no more). */
const CLAIM_BATCH = 50;
/** How long a shutdown waits for the alert it cut short to be put back in the outbox. */
const RELEASE_MS = 1000;

/** Posts each alert as JSON to every webhook whose filter matches, in the background. */
export class WebhookSink implements AlertSink {
  private readonly routes: { wants: (type: string) => boolean; queue: WebhookQueue; id: string }[];
  private readonly outbox: OutboxLink | undefined;
  private readonly pump: NodeJS.Timeout | undefined;
  private pumping = false;
  private readonly showAmounts: boolean;
  private readonly timeZone: string | undefined;
  private readonly log: Logger;
  private readonly stop = new AbortController();
  private closed = false;

  constructor(c: WebhookSinkConfig) {
    this.showAmounts = c.showAmounts;
    this.timeZone = c.timeZone;
    this.log = c.log;
    const now = c.now ?? Date.now;
    this.outbox = c.outbox && { store: c.outbox, owner: randomUUID(), retryMs: (c.retryHours ?? DEFAULT_RETRY_HOURS) * 3_600_000, now };
    const options = {
      outbox: this.outbox,
      fetch: c.fetch ?? fetch,
      retry: { ...DEFAULT_RETRY, ...c.retry },
      timeoutMs: c.timeoutMs ?? DEFAULT_POST_TIMEOUT_SECONDS * 1000,
      queueSize: c.queueSize ?? DEFAULT_QUEUE_SIZE,
      log: c.log,
      stop: this.stop.signal,
    };
    this.routes = c.webhooks.map((w) => ({
      wants: w.events === undefined ? () => true : compileGlobs(w.events),
      queue: new WebhookQueue(w, options),
      id: webhookTargetId(w.url),
    }));
    if (this.outbox && this.routes.length > 0 && c.pumpMs !== 0) {
      this.pump = setInterval(() => void this.claimDue(), c.pumpMs ?? PUMP_MS).unref();
      // At start: alerts a stopped or dead process left, due now or once their lease runs out.
      setImmediate(() => void this.claimDue()).unref();
    }
  }

  /** Queues the outbox's due alerts for webhooks whose queue is empty (one that is busy takes them later). */
  private async claimDue(): Promise<void> {
    const box = this.outbox;
    if (!box || this.pumping || this.closed) return;
    this.pumping = true;
    try {
      const idle = this.routes.filter((r) => r.queue.backlog === 0);
      const now = box.now();
      const purged = await box.store.purge(now - box.retryMs - LEASE_MS);
      if (purged > 0) this.log.warn('alert outbox: gave up on alerts older than the retry period', { alerts: purged });
      // Webhook by webhook: a dead one's backlog, oldest of all, must not take every claim from the others.
      for (const r of idle) {
        if (r.queue.backlog > 0) continue;
        for (const e of await box.store.claimDue([r.id], box.owner, now, now + LEASE_MS, CLAIM_BATCH)) r.queue.resume(e);
      }
    } catch (err) {
      this.log.warn('alert outbox could not be read', { err: String(err) });
    } finally {
      this.pumping = false;
    }
  }

  send(e: AlertEvent): void {
    try {
      if (this.closed) {
        this.log.debug('alert after shutdown not sent', { type: e.type });
        return;
      }
      const routes = this.routes.filter((r) => r.wants(e.type));
      if (routes.length === 0) return;
      const body = JSON.stringify(renderAlert(e, { showAmounts: this.showAmounts, timeZone: this.timeZone }));
      const createdAt = this.outbox?.now() ?? Date.now();
      for (const r of routes) r.queue.push({ id: newRequestId(createdAt), target: r.id, body, createdAt, tries: 0 });
    } catch (err) {
      this.log.error('could not queue an alert', { type: e.type, err: String(err) });
    }
  }

  /** Stops taking alerts and waits up to `timeoutMs` for those queued; the rest are dropped, or left in the outbox. */
  async close(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
    this.closed = true;
    clearInterval(this.pump);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), timeoutMs)));
    const idle = Promise.all(this.routes.map((r) => r.queue.idle())).then(() => false);
    const timedOut = await Promise.race([idle, late]);
    clearTimeout(timer);
    if (!timedOut) return;
    const undelivered = this.routes.reduce((n, r) => n + r.queue.backlog, 0);
    this.log.warn(`alert webhooks did not finish before shutdown${this.outbox ? '; the alerts wait in the outbox, for a gateway on this storage to send' : ''}`, { undelivered, timeoutMs });
    this.stop.abort();
    // The try cut short puts its alert back in the outbox, due at once: given a moment before storage closes.
    if (this.outbox) await Promise.race([idle, new Promise((r) => setTimeout(r, RELEASE_MS).unref())]);
  }
}

/** Keeps the latest alerts in memory: for tests, and for a gateway without webhooks. */
export class MemorySink implements AlertSink {
  readonly events: AlertEvent[] = [];
  private readonly max: number;

  constructor(max = 1000) {
    this.max = max;
  }

  send(e: AlertEvent): void {
    this.events.push(e);
    if (this.events.length > this.max) this.events.shift();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** One sink that sends every alert to each of `sinks`. */
export function fanOut(...sinks: AlertSink[]): AlertSink {
  return {
    send(e) {
      for (const s of sinks) {
        try {
          s.send(e);
        } catch {
          // A sink's own failure must not keep the alert from the others.
        }
      }
    },
    async close(timeoutMs) {
      await Promise.all(sinks.map((s) => s.close(timeoutMs).catch(() => undefined)));
    },
  };
}

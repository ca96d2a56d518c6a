import { compileGlobs } from '../core/glob.js';
import type { Logger } from '../core/logger.js';
import { type AlertEvent, type AlertSink, renderAlert } from './events.js';
import { WebhookQueue, type WebhookTarget } from './delivery.js';
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
  /** Alerts held per webhook while it is slow or down. */
  queueSize?: number;
}

const DEFAULT_TIMEOUT_MS = 5000;
const DEFAULT_QUEUE_SIZE = 1000;

/** Posts each alert as JSON to every webhook whose filter matches, in the background. */
export class WebhookSink implements AlertSink {
  private readonly routes: { wants: (type: string) => boolean; queue: WebhookQueue }[];
  private readonly showAmounts: boolean;
  private readonly timeZone: string | undefined;
  private readonly log: Logger;
  private readonly stop = new AbortController();
  private closed = false;

  constructor(c: WebhookSinkConfig) {
    this.showAmounts = c.showAmounts;
    this.timeZone = c.timeZone;
    this.log = c.log;
    const options = {
      fetch: c.fetch ?? fetch,
      retry: { ...DEFAULT_RETRY, ...c.retry },
      timeoutMs: c.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      queueSize: c.queueSize ?? DEFAULT_QUEUE_SIZE,
      log: c.log,
      stop: this.stop.signal,
    };
    this.routes = c.webhooks.map((w) => ({
      wants: w.events === undefined ? () => true : compileGlobs(w.events),
      queue: new WebhookQueue(w, options),
    }));
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
      for (const r of routes) r.queue.push(body);
    } catch (err) {
      this.log.error('could not queue an alert', { type: e.type, err: String(err) });
    }
  }

  /** Stops taking alerts and waits up to `timeoutMs` for those queued; the rest are dropped. */
  async close(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
    this.closed = true;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), timeoutMs)));
    const idle = Promise.all(this.routes.map((r) => r.queue.idle())).then(() => false);
    const timedOut = await Promise.race([idle, late]);
    clearTimeout(timer);
    if (!timedOut) return;
    const undelivered = this.routes.reduce((n, r) => n + r.queue.backlog, 0);
    this.log.warn('alert webhooks did not finish before shutdown', { undelivered, timeoutMs });
    this.stop.abort();
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

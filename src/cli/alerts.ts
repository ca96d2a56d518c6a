import type { AlertSink } from '../alerts/events.js';
import type { AlertOutbox } from '../alerts/outbox.js';
import { increaseAlerts } from '../alerts/increase-alerts.js';
import { WebhookSink } from '../alerts/webhook.js';
import type { Config } from '../config/index.js';
import type { Logger } from '../core/logger.js';
import type { IncreaseEvents } from '../policy/increases.js';
import { jsonLogger } from './logger.js';

/** How long the CLI waits for webhooks before it exits. */
const CLOSE_MS = 5000;

/**
 * The config's webhooks as an alert sink (the gateway's and the CLI's), alerts kept in `outbox`
 * until delivered. Only the gateway (`claimDue`) takes up alerts left in the outbox by others.
 */
export function webhookSink(config: Config, log: Logger, outbox: AlertOutbox, claimDue = true): AlertSink {
  const { webhooks, retryHours, timeoutSeconds } = config.alerts;
  return new WebhookSink({ webhooks, showAmounts: config.policy.showAmounts, timeZone: config.policy.timeZone, log, outbox, retryHours, timeoutMs: timeoutSeconds * 1000, pumpMs: claimDue ? undefined : 0 });
}

/**
 * Increase events from the CLI go to the config's webhooks, as they would from the
 * gateway, so that approvers hear of a request made with `budgets request` and
 * requesters of a decision made with `budgets approve`.
 */
export function openCliAlerts(config: Config, outbox: AlertOutbox): { events: IncreaseEvents; close(): Promise<void> } {
  if (config.alerts.webhooks.length === 0) return { events: { requested: () => undefined, decided: () => undefined, expired: () => undefined }, close: () => Promise.resolve() };
  const sink = webhookSink(config, jsonLogger(config.log.level), outbox, false);
  const { publicUrl, signingSecret } = config.alerts;
  const links = publicUrl && signingSecret ? { publicUrl, secret: signingSecret } : undefined;
  return { events: increaseAlerts(sink, links), close: () => sink.close(CLOSE_MS) };
}

import type { AlertSink } from '../alerts/events.js';
import { signDecisionLink } from '../alerts/signed-link.js';
import { WebhookSink } from '../alerts/webhook.js';
import type { Config } from '../config/index.js';
import type { Logger } from '../core/logger.js';
import type { IncreaseEvents } from '../policy/increases.js';
import type { Increase } from '../policy/rules.js';
import { jsonLogger } from './logger.js';

/** How long the signed approve/deny links in a request alert stay valid (as the gateway sends them). */
const LINK_DAYS = 7;
/** How long the CLI waits for webhooks before it exits. */
const CLOSE_MS = 5000;

/** The config's webhooks as an alert sink (the gateway's and the CLI's). */
export function webhookSink(config: Config, log: Logger): AlertSink {
  return new WebhookSink({ webhooks: config.alerts.webhooks, showAmounts: config.policy.showAmounts, timeZone: config.policy.timeZone, log });
}

/**
 * Increase events from the CLI go to the config's webhooks, as they would from the
 * gateway, so that approvers hear of a request made with `budgets request` and
 * requesters of a decision made with `budgets approve`.
 */
export function openCliAlerts(config: Config): { events: IncreaseEvents; close(): Promise<void> } {
  if (config.alerts.webhooks.length === 0) return { events: { requested: () => undefined, decided: () => undefined, expired: () => undefined }, close: () => Promise.resolve() };
  const sink = webhookSink(config, jsonLogger(config.log.level));
  const { publicUrl, signingSecret } = config.alerts;
  const links = (i: Increase) => {
    if (!publicUrl || !signingSecret) return {};
    const exp = i.createdAt + LINK_DAYS * 86_400_000;
    return { approveUrl: signDecisionLink(publicUrl, signingSecret, i.id, 'approve', exp), denyUrl: signDecisionLink(publicUrl, signingSecret, i.id, 'deny', exp) };
  };
  return {
    events: {
      requested: (i) => sink.send({ type: 'increase.requested', increase: i, ...links(i) }),
      decided: (i) => sink.send({ type: i.status === 'approved' ? 'increase.approved' : 'increase.denied', increase: i }),
      expired: (i) => sink.send({ type: 'increase.expired', increase: i }),
    },
    close: () => sink.close(CLOSE_MS),
  };
}

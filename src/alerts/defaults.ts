// The alert settings' defaults, apart from the delivery code so that the config can name them without loading it.

/** How long an undelivered alert is retried (`alerts.retry_hours`). */
export const DEFAULT_RETRY_HOURS = 24;
/** How long a webhook has to answer a post (`alerts.timeout_seconds`). */
export const DEFAULT_POST_TIMEOUT_SECONDS = 10;

/** Every alert type, for the config to check webhook filters against (events.ts holds it to the events themselves). */
export const ALERT_TYPE_NAMES = [
  'budget.threshold',
  'budget.refused',
  'increase.requested',
  'increase.approved',
  'increase.denied',
  'increase.expired',
  'counters.fail_open',
  'counters.fail_closed',
  'anomaly.spend_spike',
  'anomaly.runaway_session',
  'anomaly.agent_loop',
  'anomaly.retry_storm',
  'anomaly.cache_regression',
] as const;

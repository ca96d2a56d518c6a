// The alert settings' defaults, apart from the delivery code so that the config can name them without loading it.

/** How long an undelivered alert is retried (`alerts.retry_hours`). */
export const DEFAULT_RETRY_HOURS = 24;
/** How long a webhook has to answer a post (`alerts.timeout_seconds`). */
export const DEFAULT_POST_TIMEOUT_SECONDS = 10;

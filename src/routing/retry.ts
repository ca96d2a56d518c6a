import type { RetryPolicy, RetryTrigger } from './types.js';

type HeaderValue = string | string[] | undefined;
export type ResponseHeaders = Readonly<Record<string, HeaderValue>>;

/**
 * Why an attempt failed before any byte reached the client, or undefined when the answer
 * is final (a success, or an error retrying cannot fix such as 400 or 401).
 */
export function triggerForStatus(status: number, ownKey = false): RetryTrigger | undefined {
  if (status === 429) return 'rate_limit';
  // Refused the key the gateway holds for the deployment: the account's fault, not the request's. A
  // client's own key refused is the client's to fix, and goes back to it.
  if ((status === 401 || status === 403) && ownKey) return 'auth';
  if (status === 529) return 'overloaded';
  if (status === 503) return 'overloaded';
  if (status >= 500) return 'server_error';
  return undefined;
}

/** Whether this failure may be retried under the policy (the upstream's `x-should-retry: false` wins). */
export function mayRetry(policy: RetryPolicy, trigger: RetryTrigger, headers: ResponseHeaders | undefined): boolean {
  if (!policy.on.has(trigger)) return false;
  return first(headers?.['x-should-retry']) !== 'false';
}

/**
 * The wait the upstream asked for, in ms: `retry-after-ms`, then `retry-after` (seconds or
 * an HTTP date). Undefined when it said neither: the rate-limit reset headers are read into the
 * deployment's capacity instead (rate-limits.ts), which holds it until the reset.
 */
export function requestedWaitMs(headers: ResponseHeaders, now: number): number | undefined {
  const ms = Number(first(headers['retry-after-ms']));
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const ra = first(headers['retry-after']);
  if (ra !== undefined && ra !== '') {
    const seconds = Number(ra);
    if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
    const at = Date.parse(ra);
    if (Number.isFinite(at)) return Math.max(0, at - now);
  }
  return undefined;
}

/** Exponential backoff with full jitter: a random wait in [0, min(max, base·2^(n-1))]. */
export function backoffMs(policy: RetryPolicy, triesOnDeployment: number, random: () => number): number {
  const ceiling = Math.min(policy.maxBackoffMs, policy.backoffMs * 2 ** Math.max(0, triesOnDeployment - 1));
  return Math.round(random() * ceiling);
}

function first(v: HeaderValue): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

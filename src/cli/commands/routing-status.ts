import type { DeploymentStatus, LimitJson, RouteStatus } from '../../routing/status.js';
import { renderTable } from '../table.js';

export interface RoutingStatusJson {
  at: string;
  routes: RouteStatus[];
}

/** One line per deployment: its breaker, why and until when it is out of rotation, recent failures, and rate-limit room. */
export function renderRoutingStatus(s: RoutingStatusJson): string {
  if (s.routes.length === 0) return 'No routes are configured in this gateway (routes: in the config); every request takes the plain path.\n';
  const day = s.at.slice(0, 10);
  const rows = s.routes.flatMap((r) => r.deployments.map((d) => [r.model, d.deployment, d.breaker.replace('_', '-'), out(d, day), failures(d), left(d.rate_limit.requests), left(d.rate_limit.tokens), resets(d, day)]));
  let text = renderTable(['ROUTE', 'DEPLOYMENT', 'BREAKER', 'OUT OF ROTATION (UTC)', 'FAILURES', 'REQUESTS LEFT', 'TOKENS LEFT', 'RESETS (UTC)'], rows, [5, 6]);
  const queued = s.routes.filter((r) => r.queued > 0);
  if (queued.length) text += `\nWaiting for capacity: ${queued.map((r) => `${r.model} ${r.queued}`).join(', ')}\n`;
  text += `\nAs this gateway saw it at ${clock(s.at)} UTC (with the marks other replicas shared, where Redis is configured). --json has every field.\n`;
  return text;
}

/** The time of day, with the date when it is not `day` (the view's): a rest until 02:00 tomorrow must not read as one that ended. */
function clock(iso: string, day = iso.slice(0, 10)): string {
  return iso.slice(0, 10) === day ? iso.slice(11, 19) : `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
}

function out(d: DeploymentStatus, day: string): string {
  const why: [string, string | null][] = [
    ['breaker open', d.breaker_open_until],
    ['cooldown', d.cooldown_until],
    ['ejected', d.ejected_until],
    ['other replica', d.shared_until],
    ['429', d.rate_limit.blocked_until],
  ];
  const parts = why.filter(([, until]) => until !== null).map(([what, until]) => `${what} to ${clock(until!, day)}`);
  return parts.length ? parts.join(', ') : '-';
}

function failures(d: DeploymentStatus): string {
  const r = d.recent;
  return `${r.failures}/${r.outcomes}${d.consecutive_failures > 0 ? ` (${d.consecutive_failures} in a row)` : ''}`;
}

function left(l: LimitJson | null): string {
  if (!l) return '-';
  return l.limit === null ? l.remaining.toLocaleString('en-US') : `${l.remaining.toLocaleString('en-US')}/${l.limit.toLocaleString('en-US')}`;
}

function resets(d: DeploymentStatus, day: string): string {
  const times = [d.rate_limit.requests?.reset_at, d.rate_limit.tokens?.reset_at].filter((t): t is string => t !== undefined);
  return times.length ? [...new Set(times.map((t) => clock(t, day)))].join(', ') : '-';
}

import type { IncreaseEvents } from '../policy/increases.js';
import type { Increase } from '../policy/rules.js';
import type { AlertSink } from './events.js';
import { LINK_MS, type SignedLinks, signDecisionLink } from './signed-link.js';

/**
 * Increase requests, decisions and expiries as alerts, from the gateway and the CLI
 * alike; a request alert carries signed approve and deny links when `links` is set.
 */
export function increaseAlerts(sink: AlertSink, links: SignedLinks | undefined): IncreaseEvents {
  const urls = (i: Increase) => {
    if (!links) return {};
    const exp = i.createdAt + LINK_MS;
    return { approveUrl: signDecisionLink(links.publicUrl, links.secret, i.id, 'approve', exp), denyUrl: signDecisionLink(links.publicUrl, links.secret, i.id, 'deny', exp) };
  };
  return {
    requested: (i) => sink.send({ type: 'increase.requested', increase: i, ...urls(i) }),
    decided: (i) => sink.send({ type: i.status === 'approved' ? 'increase.approved' : 'increase.denied', increase: i }),
    expired: (i) => sink.send({ type: 'increase.expired', increase: i }),
  };
}

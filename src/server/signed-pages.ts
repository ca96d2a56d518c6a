import type { IncomingMessage, ServerResponse } from 'node:http';
import { readEvidenceLink } from '../alerts/evidence-link.js';
import { LINK_DAYS, type LinkCheck } from '../alerts/signed-link.js';
import { renderEvidencePage } from '../alerts/evidence-page.js';
import { readSpendLink } from '../alerts/spend-link.js';
import { renderSpendPage } from '../alerts/spend-page.js';
import { page, paragraph } from '../alerts/html-page.js';
import { evidenceView } from '../anomalies/evidence-view.js';
import type { Logger } from '../core/logger.js';
import type { RateBook } from '../pricing/unit-rates.js';
import { scopeSpend } from '../reports/scope-spend.js';
import type { LedgerStore } from '../storage/ports.js';
import { sendPage as send } from './page-response.js';

export interface SignedPageDeps {
  secret: string;
  ledger: LedgerStore;
  /** Prices for the evidence page's `explain`. */
  rates: RateBook;
  /** Makes rows written so far visible, so that the example requests are there. */
  flush: () => Promise<void>;
  showAmounts: boolean;
  timeZone: string;
  now?: () => number;
  log?: Logger;
}

/** `GET /evidence?…&exp&sig`: an anomaly's evidence page, behind the link's signature rather than the admin token. */
export function handleEvidenceLink(deps: SignedPageDeps, req: IncomingMessage, res: ServerResponse, query: URLSearchParams): Promise<void> {
  return servePage(deps, req, res, query, {
    read: readEvidenceLink,
    instead: 'Read the evidence with `tollgate detect` and `tollgate report` over the same window.',
    build: async (spec, now, o) => renderEvidencePage(await evidenceView(deps.ledger, spec, deps.rates, now), o),
  });
}

/** `GET /spend?…&exp&sig`: where a budget's spend went, behind the link's signature rather than the admin token. */
export function handleSpendLink(deps: SignedPageDeps, req: IncomingMessage, res: ServerResponse, query: URLSearchParams): Promise<void> {
  return servePage(deps, req, res, query, {
    read: readSpendLink,
    instead: 'Read the spend with `tollgate report --by user model` over the budget window.',
    // Up to the alert's millisecond included: the request it refused arrived then, or just before.
    build: async (spec, _now, o) => renderSpendPage(spec, await scopeSpend(deps.ledger, spec.scope, spec.windowStart, spec.at + 1), o),
  });
}

interface PageKind<T> {
  read(secret: string, q: URLSearchParams, now: number): { check: 'ok'; spec: T } | { check: Exclude<LinkCheck, 'ok'> };
  /** What to do instead when the link does not work. */
  instead: string;
  build(spec: T, now: number, o: { showAmounts: boolean; timeZone: string; expiresAt: number }): Promise<string>;
}

async function servePage<T>(deps: SignedPageDeps, req: IncomingMessage, res: ServerResponse, query: URLSearchParams, kind: PageKind<T>): Promise<void> {
  const method = req.method ?? 'GET';
  if (method !== 'GET' && method !== 'HEAD') return send(res, 405, page('Method not allowed', paragraph('Open this link in a browser.')), { allow: 'GET, HEAD' });
  const now = (deps.now ?? Date.now)();
  const link = kind.read(deps.secret, query, now);
  if (link.check === 'expired') return send(res, 403, page('This link has expired', paragraph(`These links work for ${LINK_DAYS} days. ${kind.instead}`)));
  if (link.check !== 'ok') return send(res, 403, page('This link is not valid', paragraph(`The link was changed or cut short. Copy the whole link from the alert. ${kind.instead}`)));
  try {
    // Rows written so far, the example requests among them, are visible to the reads.
    await deps.flush();
    send(res, 200, await kind.build(link.spec, now, { showAmounts: deps.showAmounts, timeZone: deps.timeZone, expiresAt: Number(query.get('exp')) }));
  } catch (err) {
    deps.log?.error('signed page failed', { path: req.url?.split('?')[0], err: String(err) });
    send(res, 500, page('Something went wrong', paragraph('Tollgate could not read this from its ledger; the gateway log has the details. Try again in a moment.')));
  }
}

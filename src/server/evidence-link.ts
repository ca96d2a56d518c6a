import type { IncomingMessage, ServerResponse } from 'node:http';
import { EVIDENCE_LINK_DAYS, readEvidenceLink } from '../alerts/evidence-link.js';
import { renderEvidencePage } from '../alerts/evidence-page.js';
import { page, paragraph } from '../alerts/html-page.js';
import { evidenceView } from '../anomalies/evidence-view.js';
import type { Logger } from '../core/logger.js';
import type { RateBook } from '../pricing/unit-rates.js';
import type { LedgerStore } from '../storage/ports.js';
import { sendPage as send } from './page-response.js';

export interface EvidenceLinkDeps {
  secret: string;
  ledger: LedgerStore;
  rates: RateBook;
  /** Makes rows written so far visible, so that the example requests are there. */
  flush: () => Promise<void>;
  showAmounts: boolean;
  timeZone: string;
  now?: () => number;
  log?: Logger;
}

/** `GET /evidence?…&exp&sig`: an anomaly's evidence page, behind the link's signature rather than the admin token. */
export async function handleEvidenceLink(deps: EvidenceLinkDeps, req: IncomingMessage, res: ServerResponse, query: URLSearchParams): Promise<void> {
  const method = req.method ?? 'GET';
  if (method !== 'GET' && method !== 'HEAD') return send(res, 405, page('Method not allowed', paragraph('Open this link in a browser.')), { allow: 'GET, HEAD' });
  const now = (deps.now ?? Date.now)();
  const link = readEvidenceLink(deps.secret, query, now);
  if (link.check !== 'ok') {
    if (link.check === 'expired') return send(res, 403, page('This link has expired', paragraph(`Evidence links work for ${EVIDENCE_LINK_DAYS} days. Read the evidence with \`tollgate detect\` and \`tollgate report\` over the same window.`)));
    return send(res, 403, page('This link is not valid', paragraph('The link was changed or cut short. Copy the whole link from the alert, or read the evidence with `tollgate detect` and `tollgate report`.')));
  }
  try {
    await deps.flush();
    const view = await evidenceView(deps.ledger, link.spec, deps.rates, now);
    const exp = Number(query.get('exp'));
    send(res, 200, renderEvidencePage(view, { showAmounts: deps.showAmounts, timeZone: deps.timeZone, expiresAt: exp }));
  } catch (err) {
    deps.log?.error('evidence page failed', { err: String(err) });
    send(res, 500, page('Something went wrong', paragraph('Tollgate could not read this evidence from its ledger; the gateway log has the details. Try again in a moment.')));
  }
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import { decisionForm, increaseDetails, statusText } from '../alerts/approval-page.js';
import { page, paragraph } from '../alerts/html-page.js';
import { type DecisionAction, verifyDecisionLink } from '../alerts/signed-link.js';
import type { Logger } from '../core/logger.js';
import { isClientLeft } from '../gateway/read-body.js';
import type { Increase } from '../policy/rules.js';
import { FormTooLarge, readForm } from './form-body.js';
import { sendPage } from './page-response.js';

export interface ApprovalLinkDeps {
  /** Undefined when links are off. */
  secret: string | undefined;
  getIncrease(id: string): Promise<Increase | undefined>;
  /** Throws RangeError with a message for people when it cannot (unknown, already decided). */
  decide(id: string, approve: boolean, actor: string, note: string | null): Promise<Increase>;
  now?: () => number;
  /** For times on the pages; UTC when absent. */
  timeZone?: string;
  /** `policy.show_amounts`: false leaves the amount asked for off the pages (true when absent). */
  showAmounts?: boolean;
  log?: Logger;
}

const ACTOR = 'signed-link';
const MAX_BODY = 16 * 1024;
const ROUTE = /^\/approvals\/([^/]+)\/(approve|deny)$/;

class PageError extends Error {
  readonly status: number;
  readonly title: string;
  constructor(status: number, title: string, message: string) {
    super(message);
    this.status = status;
    this.title = title;
  }
}

/**
 * `GET|POST /approvals/{id}/{approve|deny}?exp&sig`. GET only shows the request: chat apps
 * fetch links to preview them, so a GET must never decide. The POST from its form decides.
 */
export async function handleApprovalLink(deps: ApprovalLinkDeps, req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<void> {
  try {
    const [status, html] = await respond(deps, req, path, query);
    send(res, status, html);
  } catch (err) {
    if (res.headersSent || isClientLeft(err)) return void res.destroy();
    if (err instanceof PageError) return send(res, err.status, page(err.title, paragraph(err.message)));
    deps.log?.error('approval link failed', { path, err: String(err) });
    send(res, 500, page('Something went wrong', paragraph('Tollgate could not complete this. Open the link again to see where the request stands; the gateway log has the details.')));
  }
}

async function respond(deps: ApprovalLinkDeps, req: IncomingMessage, path: string, query: URLSearchParams): Promise<[number, string]> {
  if (!deps.secret) throw new PageError(404, 'Approval links are off', 'Approval links are off on this gateway: decide with `tollgate budgets approve|deny <id>` or the admin API.');
  const route = ROUTE.exec(path);
  const id = route ? decodeId(route[1] ?? '') : undefined;
  if (!route || !id) throw new PageError(404, 'Not found', 'There is no approval page at this address.');
  const action = route[2] as DecisionAction;
  const method = req.method ?? 'GET';
  if (method !== 'GET' && method !== 'HEAD' && method !== 'POST') throw new PageError(405, 'Method not allowed', 'Open this link in a browser.');

  const exp = /^\d{1,16}$/.test(query.get('exp') ?? '') ? Number(query.get('exp')) : NaN;
  const sig = query.get('sig') ?? '';
  const now = (deps.now ?? Date.now)();
  const check = verifyDecisionLink(deps.secret, id, action, exp, sig, now);
  if (check === 'bad_signature') throw new PageError(403, 'This link is not valid', 'The link was changed or cut short. Copy the whole link from the alert, or decide with the CLI or admin API.');
  if (check === 'expired') throw new PageError(403, 'This link has expired', `Decide with \`tollgate budgets ${action} ${id}\` or the admin API.`);

  const tz = deps.timeZone ?? 'UTC';
  const shown = deps.showAmounts ?? true;
  const found = await deps.getIncrease(id);
  if (!found) throw new PageError(404, 'No such request', `There is no increase request ${id}.`);
  if (found.status !== 'pending') return alreadyDecided(found, tz, shown);
  if (method !== 'POST') {
    const title = action === 'approve' ? 'Approve this increase?' : 'Deny this increase?';
    return [200, page(title, increaseDetails(found, tz, shown) + decisionForm(action, exp, sig))];
  }

  const note = (await readNoteForm(req)).get('note')?.trim() || null;
  let done: Increase;
  try {
    done = await deps.decide(id, action === 'approve', ACTOR, note);
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    // Someone else may have decided meanwhile: say what the request is now.
    const current = await deps.getIncrease(id);
    if (!current) throw new PageError(404, 'No such request', err.message);
    if (current.status !== 'pending') return alreadyDecided(current, tz, shown);
    throw new PageError(409, 'Not decided', err.message);
  }
  const title = done.status === 'approved' ? 'Approved' : 'Denied';
  return [200, page(title, paragraph(`The increase is ${statusText(done, tz)}.`) + increaseDetails(done, tz, shown))];
}

function alreadyDecided(i: Increase, tz: string, shown: boolean): [number, string] {
  return [409, page(`Already ${i.status}`, paragraph(`This request is already ${statusText(i, tz)}.`) + increaseDetails(i, tz, shown))];
}

function decodeId(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

/** The form body (the note is optional); a form too large is a 413 page. */
async function readNoteForm(req: IncomingMessage): Promise<URLSearchParams> {
  try {
    return await readForm(req, MAX_BODY);
  } catch (err) {
    if (err instanceof FormTooLarge) throw new PageError(413, 'Too large', `The form is larger than ${MAX_BODY / 1024} KB; shorten the note.`);
    throw err;
  }
}

function send(res: ServerResponse, status: number, html: string): void {
  // The client may still be sending a body we will not read.
  sendPage(res, status, html, status === 405 ? { allow: 'GET, HEAD, POST' } : status === 413 ? { connection: 'close' } : {});
}

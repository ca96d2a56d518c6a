import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Dialect } from '../core/api.js';
import { toGatewayError } from '../core/errors.js';
import { detectClient } from '../identity/client.js';
import type { StoredResponses } from '../metering/stored-responses.js';
import { forClient } from './client-errors.js';
import type { Exchange } from './exchange.js';
import { learnCreatedItems } from './objects/conversation-items.js';
import { settleObjects } from './objects/guard.js';
import type { GatewayDeps } from './proxy.js';
import { AnsweredByServer, ClientLeft } from './read-body.js';
import { record } from './record.js';
import { sendError } from './request-errors.js';

/** A request's `finish` (proxy.ts): its row recorded and what it held given back, once its answer has ended. */
export function requestFinish(deps: GatewayDeps, stored: StoredResponses, soleKeeper: (d: Dialect) => boolean, x: Pick<Exchange, 'route' | 'facts' | 'started' | 'held' | 'owned'>): Exchange['finish'] {
  const { route, facts, started, held, owned } = x;
  return (journaled?: () => void) => {
    facts.latencyMs = Math.round(performance.now() - started);
    if (facts.outcome === 'client_aborted' && deps.cutByShutdown?.()) {
      facts.outcome = 'truncated';
      facts.errorType = 'gateway_shutdown';
    }
    stored.settle(facts);
    if (facts.batch !== undefined) deps.batchResults?.(facts);
    // Known before the answer's last bytes leave: its creator's next request finds the object.
    if (owned.owner) {
      if (deps.objects) settleObjects(deps.objects, facts, owned, route, soleKeeper);
      if (owned.itemsToLearn) learnCreatedItems(deps, facts, owned.owner);
    }
    const row = record(deps, facts, held.route);
    // Settlement runs in the background: it never delays the response.
    held.body?.release();
    held.admission?.settle(row.costPicos, row.inputTokens + row.outputTokens, row.attemptLog);
    held.batch?.settle();
    if (!journaled) return;
    if (deps.ledger.afterJournal) deps.ledger.afterJournal(journaled);
    else journaled();
  };
}

/** Ends a request that threw: answered with its error if nothing was sent yet, cut if it was, and finished either way. */
export function requestFailed(deps: GatewayDeps, req: IncomingMessage, res: ServerResponse, id: string, x: Pick<Exchange, 'adapter' | 'facts' | 'headers' | 'finish'>, err: unknown): void {
  const { adapter, facts, headers, finish } = x;
  if (err instanceof ClientLeft) {
    // Nothing went upstream and no one is left to answer: not a gateway failure.
    facts.outcome = 'client_aborted';
    facts.errorType = 'client_disconnected';
    return finish();
  }
  if (err instanceof AnsweredByServer) {
    // The HTTP server has answered it (408, or 400 for framing) and is closing the connection.
    Object.assign(facts, { status: err.status, outcome: err.outcome, errorType: err.code });
    return finish();
  }
  const e = forClient(toGatewayError(err), facts.client ?? detectClient(headers));
  const c = facts.current;
  if (c !== undefined && !res.headersSent) {
    // The attempt never answered: it stays on record with no response.
    facts.priorAttempts.push({ ...c, status: 0, outcome: e.code === 'upstream_timeout' ? 'timeout' : 'unreachable', errorType: e.code, usage: facts.usage, usageSource: 'none', latencyMs: Math.round(performance.now() - c.startedPerf) });
    facts.current = undefined;
  }
  if (e.code === 'internal') deps.log.error('request failed', { id, err: describe(e.cause ?? e) });
  if (!res.headersSent) {
    req.resume();
    sendError(res, adapter, e, id);
    facts.status = e.status;
  } else {
    res.destroy();
  }
  facts.outcome = e.outcome;
  facts.errorType = e.code;
  finish();
}

function describe(err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : JSON.stringify(err);
}

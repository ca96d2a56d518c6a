import type { Dispatcher } from 'undici';
import type { AttemptRow, LedgerRow } from '../core/ledger-row.js';
import type { PollResult } from '../metering/deferred-usage-sweep.js';
import type { FinishedResponse } from '../metering/background-usage.js';
import { readResponseBody } from '../providers/openai/responses-body.js';
import type { Deployment } from '../routing/types.js';
import { askJson } from './ask-upstream.js';
import type { ProviderTable } from './select-provider.js';

export interface ResponsePollDeps {
  agent: Dispatcher;
  providers: ProviderTable;
  /** A configured route's deployment by id, for a row a route served (its own URL and key). */
  deployment?: (id: string) => Deployment | undefined;
  attempts: (requestId: string) => Promise<AttemptRow[]>;
  /** Bills a finished response (BackgroundUsage.finished). */
  finished: (r: FinishedResponse) => void;
  /** How long one ask may take (30 s). */
  timeoutMs?: number;
}

const RUNNING = new Set(['queued', 'in_progress']);

/**
 * Asks OpenAI (`GET /v1/responses/{id}`) about the background response a ledger row created,
 * with the key Tollgate holds for the provider or route deployment that served it. (A request
 * that passed the client's own key through is never listed: Tollgate does not keep that key.)
 */
export function responsePoller(d: ResponsePollDeps): (row: LedgerRow) => Promise<PollResult> {
  return async (row) => {
    let target: { baseUrl: string; apiKey: string | undefined; headers: Readonly<Record<string, string>> } | undefined;
    try {
      target = await upstreamOf(d, row);
    } catch (err) {
      return { kind: 'failed', reason: `reading the request's attempts: ${String(err)}` };
    }
    if (target?.apiKey === undefined) return { kind: 'no_key' };
    const url = `${target.baseUrl}/v1/responses/${encodeURIComponent(row.responseId!)}`;
    const asked = await askJson(d.agent, url, { ...target.headers, authorization: `Bearer ${target.apiKey}` }, d.timeoutMs);
    if (asked.kind !== 'json') return asked;
    const body = asked.body;
    if (typeof body.status !== 'string' || RUNNING.has(body.status)) return { kind: 'running' };
    const m = readResponseBody(body, true);
    d.finished({ responseId: row.responseId!, usage: m.usage, servedModel: m.servedModel, serviceTier: m.serviceTier, local: false, background: true });
    return { kind: 'finished' };
  };
}

/** The provider, or the route deployment whose attempt the client received, that made the response. */
async function upstreamOf(d: ResponsePollDeps, row: LedgerRow) {
  if (d.deployment !== undefined) {
    const tries = await d.attempts(row.id);
    const delivered = tries.find((a) => a.delivered) ?? tries[tries.length - 1];
    const dep = delivered === undefined ? undefined : d.deployment(delivered.deployment);
    if (dep !== undefined) return dep;
  }
  return d.providers.byName(row.provider);
}

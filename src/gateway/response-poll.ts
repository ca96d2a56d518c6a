import type { Dispatcher } from 'undici';
import type { AttemptRow, LedgerRow } from '../core/ledger-row.js';
import type { PollResult } from '../metering/deferred-usage-sweep.js';
import type { BackgroundApi, FinishedResponse } from '../metering/background-usage.js';
import { readInteractionValue } from '../providers/gemini/interactions.js';
import { readResponseBody } from '../providers/openai/responses-body.js';
import type { JsonObject } from '../providers/shared/json.js';
import type { Metered } from '../providers/types.js';
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

/** How each background API's made object is asked after, and read once finished. */
const ASK: Record<BackgroundApi, { path: string; auth: (key: string) => Record<string, string>; running: ReadonlySet<string>; read: (body: JsonObject) => Metered }> = {
  'openai.responses': { path: '/v1/responses/', auth: (key) => ({ authorization: `Bearer ${key}` }), running: new Set(['queued', 'in_progress']), read: (body) => readResponseBody(body, true) },
  'gemini.interactions': { path: '/v1beta/interactions/', auth: (key) => ({ 'x-goog-api-key': key }), running: new Set(['queued', 'in_progress']), read: (body) => readInteractionValue(body, true) },
};

/**
 * Asks the provider about the background response (OpenAI, `GET /v1/responses/{id}`) or interaction
 * (Gemini, `GET /v1beta/interactions/{id}`) a ledger row created, with the key Tollgate holds for the
 * provider or route deployment that served it. (A request that passed the client's own key through
 * is never listed: Tollgate does not keep that key.)
 */
export function responsePoller(d: ResponsePollDeps, api: BackgroundApi = 'openai.responses'): (row: LedgerRow) => Promise<PollResult> {
  const ask = ASK[api];
  return async (row) => {
    let target: { baseUrl: string; apiKey: string | undefined; headers: Readonly<Record<string, string>> } | undefined;
    try {
      target = await upstreamOf(d, row);
    } catch (err) {
      return { kind: 'failed', reason: `reading the request's attempts: ${String(err)}` };
    }
    if (target?.apiKey === undefined) return { kind: 'no_key' };
    const url = `${target.baseUrl}${ask.path}${encodeURIComponent(row.responseId!)}`;
    const asked = await askJson(d.agent, url, { ...target.headers, ...ask.auth(target.apiKey) }, d.timeoutMs);
    if (asked.kind !== 'json') return asked;
    const body = asked.body;
    if (typeof body.status !== 'string' || ask.running.has(body.status)) return { kind: 'running' };
    const m = ask.read(body);
    d.finished({ api, responseId: row.responseId!, usage: m.usage, servedModel: m.servedModel, serviceTier: m.serviceTier, local: false, background: true });
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

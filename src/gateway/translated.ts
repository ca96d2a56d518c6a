import type { ServerResponse } from 'node:http';
import { ANTHROPIC_VERSION } from '../providers/anthropic/credential.js';
import type { Dispatcher } from 'undici';
import type { Identity } from '../identity/identify.js';
import type { RequestFacts } from '../metering/build-row.js';
import { adapterFor, lookupRoute } from '../providers/index.js';
import { asObject } from '../providers/shared/json.js';
import type { HeaderBag, RequestInfo, RouteMatch } from '../providers/types.js';
import { GatewayError } from '../core/errors.js';
import { estimateMessageTokens, planTranslation, translateResponse } from '../translation/index.js';
import { clientResponseHeaders, upstreamHeaders } from './headers.js';
import { relay } from './relay.js';
import { sendError } from './request-errors.js';
import type { UpstreamProvider } from './select-provider.js';

export interface TranslatedExchange {
  agent: Dispatcher;
  res: ServerResponse;
  route: RouteMatch;
  info: RequestInfo;
  facts: RequestFacts;
  /** The client's parsed body, after any policy override. */
  body: unknown;
  headers: HeaderBag;
  who: Identity;
  provider: UpstreamProvider;
  started: number;
  finish: (journaled?: () => void) => void;
  /** See RelayArgs.inputEstimate. */
  inputEstimate: () => number | undefined;
}

/** Client headers that belong to the client's dialect or carry its credential; never sent to the other dialect. */
const CLIENT_ONLY = /^(authorization|x-api-key|x-goog-api-key|api-key|content-type|anthropic-.*|openai-.*)$/;
/** Within one dialect only the credential and the body's type are the gateway's to set. */
const CREDENTIAL_ONLY = /^(authorization|x-api-key|x-goog-api-key|api-key|content-type)$/;

/**
 * Serves a request from a provider of another dialect (`translate_from`): the body is
 * translated, sent to the provider's own API, and the answer is rebuilt in the client's
 * dialect as it streams back, while the provider's own tap meters the untranslated bytes.
 * The row keeps the client's `api` and records the provider, its served model and its
 * usage, tagged `translated=<provider dialect>`. Within OpenAI's dialect, a chat request whose body is a
 * Responses request (Cursor's) is sent to `/v1/responses` and answered as chat, tagged `translated=responses`.
 */
/**
 * Whether `provider`, of another dialect than the request's, can take this request for `model`
 * once translated: a routing rule must not turn a request its own dialect serves into a refusal.
 */
export function translatable(api: RouteMatch['api'], json: unknown, provider: UpstreamProvider, model: string): boolean {
  if (provider.dialect === 'gemini') return false;
  if (api === 'anthropic.count_tokens') return provider.dialect === 'openai';
  try {
    planTranslation({ clientApi: api, body: { ...asObject(json), model }, target: { provider: provider.name, dialect: provider.dialect }, openaiNative: provider.catalog === 'openai', requestId: '', now: 0 });
    return true;
  } catch {
    return false;
  }
}

export async function relayTranslated(x: TranslatedExchange): Promise<void> {
  const { provider: p, facts } = x;
  if (p.dialect === 'gemini') throw new GatewayError('not_translatable', `Provider "${p.name}" speaks the gemini API, which Tollgate does not translate.`);
  const sameDialect = p.dialect === x.route.dialect;
  // Within OpenAI's dialect the one translation is a Responses-shaped chat request (Cursor's), served by the Responses API.
  const label = sameDialect ? 'responses' : p.dialect;
  facts.tags = { ...facts.tags, translated: label };
  const target = { provider: p.name, dialect: p.dialect };
  const body = asObject(x.body) ?? {};
  if (x.route.api === 'anthropic.count_tokens' && p.dialect === 'openai') return countLocally(x, body);

  let plan: ReturnType<typeof planTranslation>;
  let upstreamBody: Buffer;
  try {
    plan = planTranslation({ clientApi: x.route.api, body, target, openaiNative: p.catalog === 'openai', requestId: facts.id, now: Math.floor(facts.ts / 1000), inputEstimate: x.inputEstimate });
    upstreamBody = Buffer.from(JSON.stringify(plan.body));
  } catch (err) {
    // Valid JSON nested deeper than the stack: forwarded untouched it would pass, but it cannot be rewritten.
    if (err instanceof RangeError && err.message.includes('call stack')) throw new GatewayError('not_translatable', `The request is nested too deeply to be translated for the ${p.dialect} provider "${p.name}".`);
    throw err;
  }
  const found = lookupRoute('POST', plan.upstreamPath, [p.dialect]);
  if (found.kind !== 'match') throw new Error(`no ${p.dialect} route for ${plan.upstreamPath}`);
  const upstreamRoute = found.route;
  const upstream = adapterFor(p.dialect);

  const out: HeaderBag = {};
  const forwarded = upstreamHeaders(x.headers);
  const drop = sameDialect ? CREDENTIAL_ONLY : CLIENT_ONLY;
  for (const k in forwarded) if (!drop.test(k)) out[k] = forwarded[k]!;
  out['content-type'] = 'application/json';
  if (p.dialect === 'anthropic') out['anthropic-version'] = ANTHROPIC_VERSION;
  Object.assign(out, p.headers);
  const query = new URLSearchParams();
  // A client's own key goes in the upstream dialect's usual place; else the configured key.
  const key = x.who.upstreamKey.kind === 'passthrough' ? x.who.upstreamKey.key : p.apiKey;
  if (key !== undefined) upstream.writeCredential(out, query, key, undefined);

  facts.attempts = 1;
  await relay({
    agent: x.agent,
    upstream: { url: p.baseUrl + plan.upstreamPath, method: 'POST', headers: out, body: upstreamBody },
    res: x.res,
    adapter: upstream,
    route: upstreamRoute,
    info: x.info,
    injectedStreamUsage: false,
    facts,
    inputEstimate: x.inputEstimate,
    started: x.started,
    finish: x.finish,
    respond(status, headers) {
      const contentType = first(headers['content-type']);
      const meter = upstream.createTap(upstreamRoute, { status, contentType, stream: x.info.stream, injectedStreamUsage: false, requestedModel: x.info.model, choices: x.info.choices });
      const r = translateResponse(meter, plan.response, { status, contentType, stream: x.info.stream });
      return {
        tap: r.tap,
        eager: r.eager,
        head() {
          const h = r.head();
          const out = clientResponseHeaders(headers, false);
          // The client's body is rebuilt, never encoded (relay.ts decodes a compressed answer before it is translated).
          delete out['content-type'];
          delete out['content-encoding'];
          return { status: h.status, headers: { ...out, 'content-type': h.contentType, 'x-tollgate-translated': label } };
        },
        cut: () => sendError(x.res, adapterFor(x.route.dialect), new GatewayError('upstream_disconnected', `The ${p.dialect} provider "${p.name}" broke off its answer before it was complete.`), facts.id),
      };
    },
  });
}

/** `count_tokens` has no OpenAI equivalent: answered here with an estimate (docs/translation.md). */
function countLocally(x: TranslatedExchange, body: Record<string, unknown>): void {
  const text = JSON.stringify({ input_tokens: estimateMessageTokens(body) });
  x.facts.status = 200;
  x.res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'x-tollgate-translated': x.provider.dialect });
  x.finish(() => x.res.end(text));
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

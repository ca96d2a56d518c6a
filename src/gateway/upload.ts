import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { Api } from '../core/api.js';
import { GatewayError, errorMessage } from '../core/errors.js';
import type { RequestFacts } from '../metering/build-row.js';
import type { DialectAdapter, HeaderBag, RouteMatch } from '../providers/types.js';
import { forwardedQuery, upstreamHeaders } from './headers.js';
import type { GatewayDeps } from './proxy.js';
import { checkProviderKey, keySource } from './provider-keys.js';
import { AnsweredByServer, bodyFailure, tooLarge } from './read-body.js';
import { relay } from './relay.js';
import type { UpstreamProvider } from './select-provider.js';
import { identifyCaller, writeUpstreamCredential } from './caller.js';
import type { ObjectHold } from './objects/access.js';
import { guardObjects } from './objects/guard.js';
import { FormPartNames } from './form-parts.js';
import { admitGeminiUpload, uploadAnswer } from './objects/gemini-uploads.js';
import { gatewayBase } from './gateway-base.js';

/** OpenAI's largest file: the default of `server.max_upload_mb`. */
export const DEFAULT_MAX_UPLOAD_BYTES = 512 * 1024 * 1024;

/**
 * The APIs whose creations are uploads: a file (`POST /v1/files`, Gemini's `/upload/v1beta/files`:
 * an upload's start and each of its chunks), a skill or a skill's version (`POST /v1/skills`, `…/{id}/versions`).
 */
const UPLOADS: ReadonlySet<Api> = new Set<Api>(['openai.files', 'anthropic.files', 'gemini.files', 'openai.skills', 'openai.skill_versions', 'anthropic.skills', 'anthropic.skill_versions']);

/**
 * An upload, OpenAI's, Anthropic's or Gemini's (UPLOADS; Gemini's chunks may be PUT), or a file uploaded into an OpenAI container (a form;
 * one named by `file_id` is JSON, read and checked as any body): the requests whose bodies are
 * streamed (see streamUpload).
 */
export function isUpload(route: RouteMatch, headers: HeaderBag): boolean {
  if (route.method !== 'POST' && route.method !== 'PUT') return false;
  if (route.api === 'openai.container_files') return /^\s*multipart\/form-data\b/i.test(headers['content-type'] ?? '');
  return route.rawBody === true && UPLOADS.has(route.api);
}

export interface UploadExchange {
  route: RouteMatch;
  adapter: DialectAdapter;
  facts: RequestFacts;
  headers: HeaderBag;
  explicit: string | undefined;
  path: string;
  search: string;
  started: number;
  finish: (journaled?: () => void) => void;
  /** What the request's stored objects need (objects/access.ts): whose objects it makes. */
  owned: ObjectHold;
}

/**
 * Forwards an upload (a file, a skill's files) as it arrives. Nothing in its body routes or bills it (a free API,
 * kept by one account), and a batch's input file can be hundreds of megabytes: read whole,
 * each upload would hold all of it in memory, under the limit every request has. So the caller
 * is identified first, before a byte goes upstream, and the body is then piped through as the
 * client sends it, paced by the upstream, under its own limit (`server.max_upload_mb`).
 */
export async function streamUpload(deps: GatewayDeps, req: IncomingMessage, res: ServerResponse, x: UploadExchange): Promise<void> {
  const { route, adapter, facts, headers } = x;
  const query = new URLSearchParams(x.search);
  const caller = await identifyCaller(adapter, headers, query, deps, facts, req);
  const { who } = caller;
  if (deps.objects) await guardObjects(deps.objects, x.owned, route, undefined, who);
  const total = deps.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES;
  // A Gemini upload goes on only from its starter, and its chunks share the limit.
  const gemini = route.api === 'gemini.files' ? await admitGeminiUpload(deps.objects, who, headers, query, total) : undefined;
  const limit = gemini?.room ?? total;
  const declared = headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) throw tooLarge(limit, 'server.max_upload_mb');

  const provider = uploadProvider(deps, route, x.explicit);
  facts.provider = provider.name;
  facts.catalogProvider = provider.catalog;
  if (provider.dialect !== route.dialect) throw new GatewayError('not_translatable', `The ${route.api} API cannot be served by the ${provider.dialect} provider "${provider.name}": what is uploaded is kept by the provider it was uploaded to, and Tollgate does not translate the Files or Skills APIs.`);
  checkProviderKey(provider, keySource(who, deps.auth));
  const out: HeaderBag = Object.assign(upstreamHeaders(headers), provider.headers);
  writeUpstreamCredential(adapter, out, query, caller, provider.apiKey);
  // Framed as the client framed it: its length, or chunked when it gave none.
  if (declared !== undefined) out['content-length'] = declared;
  const qs = forwardedQuery(x.search, query);
  const url = provider.baseUrl + x.path + (qs ? `?${qs}` : '');
  const clientKey = caller.cred?.where === 'query-key' ? caller.cred.key : undefined;
  const editHeaders = gemini && uploadAnswer({ objects: deps.objects, owner: x.owned.owner, request: gemini.request, providerBase: provider.baseUrl, gatewayBase: gatewayBase(headers, req.url, (req.socket as { encrypted?: boolean }).encrypted === true), clientKey });

  const body = uploadBody(req, limit, route.api === 'openai.container_files' ? containerFileForm(headers['content-type']) : undefined);
  deps.open?.add(facts);
  facts.attempts = 1;
  // Why the body broke off, if it did. The server's own answer to a body too slow (408) or badly framed (400) closes the
  // connection, which may reach the relay before the body's error does: the row says that answer, not that the client left.
  const cut = (): Error | undefined => {
    if (body.failure !== undefined || req.complete) return body.failure;
    const refused = bodyFailure(req, undefined);
    return refused instanceof AnsweredByServer ? refused : undefined;
  };
  const finish = (journaled?: () => void) => {
    const c = cut();
    body.release();
    if (c instanceof AnsweredByServer) Object.assign(facts, { status: c.status, outcome: c.outcome, errorType: c.code });
    x.finish(journaled);
  };
  try {
    await relay({ agent: deps.agent, upstream: { url, method: route.method, headers: out, body: body.stream }, res, adapter, route, info: { model: '', stream: false }, injectedStreamUsage: false, facts, inputEstimate: () => undefined, started: x.started, finish, editHeaders });
  } catch (err) {
    // The upstream request was cut off because the body broke off: that is the request's answer, not the upstream's failure.
    throw cut() ?? err;
  } finally {
    body.release();
  }
}

/** The provider as every other request of these APIs finds it (proxy.ts `resolve`), so that an upload goes to the account its file will be asked of. */
function uploadProvider(deps: GatewayDeps, route: RouteMatch, explicit: string | undefined): UpstreamProvider {
  const d = explicit === undefined ? deps.router?.routeFor(route.dialect, '')?.deployments[0] : undefined;
  return (d ? deps.providers.byName(d.provider) : undefined) ?? deps.providers.select(route.dialect, '', explicit);
}

interface UploadBody {
  /** What undici sends: the client's chunks, passed on as it asks for them. */
  stream: Readable;
  /** Why the body broke off, if it did: past the limit, or the client gone, or refused by the server. */
  failure: Error | undefined;
  /** Lets go of the request: what the upstream did not take is read and dropped, as a refused body's is. */
  release(): void;
}

/**
 * The request body as a stream undici can send, counting toward `limit`. Not the request itself:
 * undici destroys a body it gives up on, and destroying the request would take the connection
 * with it, and with it the 413. The client is paused whenever the upstream is not keeping up.
 */
function uploadBody(req: IncomingMessage, limit: number, form?: FormPartNames): UploadBody {
  let size = 0;
  let attached = true;
  const detach = () => {
    if (!attached) return;
    attached = false;
    req.off('data', onData);
    req.off('end', onEnd);
    req.off('error', onError);
    req.on('error', ignore);
  };
  const u: UploadBody = {
    stream: new Readable({
      read: () => {
        if (attached) req.resume();
      },
      destroy: (err, done) => {
        detach();
        done(err);
      },
    }),
    failure: undefined,
    release() {
      detach();
      u.stream.destroy();
      if (!req.complete) req.resume();
    },
  };
  // Its failure is read from `failure`; undici listens while it sends, and nothing needs the event after.
  u.stream.on('error', ignore);
  const fail = (err: Error) => {
    u.failure ??= err;
    detach();
    u.stream.destroy(err);
  };
  function onData(chunk: Buffer) {
    size += chunk.length;
    if (size > limit) return fail(tooLarge(limit, 'server.max_upload_mb'));
    try {
      form?.push(chunk);
    } catch (err) {
      return fail(err instanceof GatewayError ? err : new GatewayError('invalid_request', `This form cannot be read: ${errorMessage(err)}.`));
    }
    if (!u.stream.push(chunk)) req.pause();
  }
  function onEnd() {
    detach();
    u.stream.push(null);
  }
  function onError(err: Error) {
    fail(bodyFailure(req, err));
  }
  req.on('data', onData);
  req.on('end', onEnd);
  req.on('error', onError);
  return u;
}

function ignore(): void {}

/**
 * The check of a file uploaded into a container: its form's one part is `file`. A `file_id` part
 * would have the provider copy a stored file into the container unchecked (auth.stored_objects):
 * such a form is cut off before that part goes upstream, and refused; `file_id` goes in JSON.
 */
function containerFileForm(contentType: string | undefined): FormPartNames {
  const form = FormPartNames.of(contentType, (name) => {
    if (name !== 'file') throw new GatewayError('invalid_request', `A container file's form carries one part, named "file"; this one has a part named ${name === undefined ? 'otherwise' : JSON.stringify(name)}, and its upload was stopped before that part reached the provider. Name a stored file with a JSON body, {"file_id": …}.`);
  });
  if (form === undefined) throw new GatewayError('invalid_request', 'A multipart/form-data body needs a boundary in its content-type.');
  return form;
}

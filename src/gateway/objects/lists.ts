import type { ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { request } from '../../egress/undici-core.js';
import { type ObjectOwner, mayUse } from '../../identity/stored-objects.js';
import type { RequestFacts } from '../../metering/build-row.js';
import { rewriteResultsUrls } from '../../providers/anthropic/batches.js';
import { batchFiles } from '../../providers/openai/batches.js';
import { type JsonObject, asObject, parseJson } from '../../providers/shared/json.js';
import type { HeaderBag, RouteMatch } from '../../providers/types.js';
import { clientResponseHeaders } from '../headers.js';
import type { ObjectOwners } from './owners.js';
import { madeByAnthropic } from './skills.js';
import { upstreamFailure } from '../upstream.js';

/** Upstream pages read for one answer at most, while the caller's objects fill fewer than a page. */
export const MAX_LIST_PAGES = 5;

/** Where a dialect's list keeps its items and its cursor. */
interface ListShape {
  items: string;
  id: string;
  /** The query parameters that ask for a page size and for the page after (or before) one. */
  size: string;
  /** The query parameter of a page before another, when the list can be paged backwards. */
  before?: string;
  cursor(query: URLSearchParams): string;
  /** The cursor of the upstream page after `body`, or undefined when it is the last. */
  next(body: JsonObject, items: JsonObject[], query: URLSearchParams): string | undefined;
}

const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);

const OPENAI: ListShape = {
  items: 'data',
  id: 'id',
  size: 'limit',
  cursor: () => 'after',
  next: (b, items) => (b.has_more === true ? (text(b.last_id) ?? text(items.at(-1)?.id)) : undefined),
};

/** OpenAI's lists that take `before` too (vector stores; files and batches take `after` alone): paged backwards, the next page is before the first. */
const OPENAI_BOTH_WAYS: ListShape = {
  ...OPENAI,
  before: 'before',
  cursor: (q) => (q.has('before') ? 'before' : 'after'),
  next: (b, items, q) => (!q.has('before') ? OPENAI.next(b, items, q) : b.has_more === true ? (text(b.first_id) ?? text(items[0]?.id)) : undefined),
};

const ANTHROPIC: ListShape = {
  items: 'data',
  id: 'id',
  size: 'limit',
  before: 'before_id',
  // Paged backwards (`before_id`) the next page is before the first.
  cursor: (q) => (q.has('before_id') ? 'before_id' : 'after_id'),
  next: (b, _, q) => (b.has_more !== true ? undefined : q.has('before_id') ? text(b.first_id) : text(b.last_id)),
};

/** Anthropic's skills are paged by a token (`page`, the answer's `next_page`) rather than by ids. */
const ANTHROPIC_PAGES: ListShape = { items: 'data', id: 'id', size: 'limit', cursor: () => 'page', next: (b) => text(b.next_page) };

const GEMINI: ListShape = { items: 'cachedContents', id: 'name', size: 'pageSize', cursor: () => 'pageToken', next: (b) => text(b.nextPageToken) };

/** Gemini's files, listed as its caches are. */
const GEMINI_FILES: ListShape = { ...GEMINI, items: 'files' };

/** Gemini's batches are listed as long-running operations. */
const GEMINI_BATCHES: ListShape = { ...GEMINI, items: 'operations' };

export interface ListArgs {
  agent: Dispatcher;
  res: ServerResponse;
  route: RouteMatch;
  facts: RequestFacts;
  /** The upstream URL, query included, and the headers, credential included. */
  url: string;
  headers: HeaderBag;
  objects: ObjectOwners;
  owner: ObjectOwner;
  /** See RequestInfo.gatewayBase (a Message Batch's `results_url`). */
  gatewayBase?: string;
  finish: (journaled?: () => void) => void;
}

/**
 * Answers a list of stored objects (files, batches, vector stores, caches, Gemini's files, skills) with the caller's own: the upstream's
 * page, less the objects the caller may not use (Anthropic's own skills are every caller's). A page left with none is followed by the upstream's
 * next, up to MAX_LIST_PAGES pages; the cursors name the caller's objects, or the upstream's page after the last read, so a client paging on
 * goes on after the last it was given. An answer that is not a page (an error) goes back as it came.
 */
export async function serveList(a: ListArgs): Promise<void> {
  const shape = a.route.api === 'gemini.files' ? GEMINI_FILES : a.route.api === 'gemini.batches' ? GEMINI_BATCHES : a.route.dialect === 'gemini' ? GEMINI : a.route.api === 'anthropic.skills' ? ANTHROPIC_PAGES : a.route.dialect === 'anthropic' ? ANTHROPIC : a.route.api === 'openai.vector_stores' ? OPENAI_BOTH_WAYS : OPENAI;
  const everyones = a.route.api === 'anthropic.skills' ? madeByAnthropic : () => false;
  const url = new URL(a.url);
  const backwards = shape.before !== undefined && url.searchParams.has(shape.before);
  const kept: JsonObject[] = [];
  let page: JsonObject = {};
  let head: Answer['headers'] = {};
  let next: string | undefined;
  let read = 0;
  for (let n = 0; n < MAX_LIST_PAGES; n++) {
    const r = await ask(a, url);
    read++;
    if (n === 0) {
      a.facts.answered?.();
      a.facts.status = r.status;
      head = r.headers;
      const reqId = r.headers['x-request-id'] ?? r.headers['request-id'];
      a.facts.upstreamRequestId = typeof reqId === 'string' ? reqId : null;
    }
    const body = r.status >= 200 && r.status < 300 ? asObject(parseJson(r.text)) : undefined;
    const items = body === undefined ? undefined : (body[shape.items] ?? []);
    if (!Array.isArray(items)) {
      if (n === 0) return passOn(a, r);
      break;
    }
    const objects = items.map((i) => asObject(i) ?? {});
    const owners = await a.objects.owners(objects.map((o) => text(o[shape.id]) ?? ''), false);
    for (const o of objects) if (everyones(o) || mayUse(a.objects.mode, owners.get(text(o[shape.id]) ?? ''), a.owner)) kept.push(o);
    if (a.route.api === 'openai.batches') recordBatchFiles(a, objects, owners);
    page = body!;
    next = shape.next(page, objects, url.searchParams);
    if (next === undefined || kept.length > 0) break;
    url.searchParams.set(shape.cursor(url.searchParams), next);
  }
  const out: JsonObject = { ...page, [shape.items]: kept };
  if (a.route.dialect === 'gemini') {
    if (kept.length > 0 && next !== undefined) next = await nextWithAny(a, url, shape, next, MAX_LIST_PAGES - read);
    if (kept.length === 0) delete out[shape.items];
    if (next === undefined) delete out.nextPageToken;
    else out.nextPageToken = next;
  } else {
    out.has_more = next !== undefined;
    // Where none of the caller's objects came, paging on starts from the upstream's cursor.
    const none = kept.length === 0 ? (next ?? null) : null;
    if ('first_id' in page || shape === ANTHROPIC) out.first_id = text(kept[0]?.id) ?? (backwards ? none : null);
    if ('last_id' in page || shape === ANTHROPIC) out.last_id = text(kept.at(-1)?.id) ?? (backwards ? null : none);
    if (shape === ANTHROPIC_PAGES) out.next_page = next ?? null;
  }
  let json = JSON.stringify(out);
  if (a.gatewayBase !== undefined) json = rewriteResultsUrls(json, a.gatewayBase);
  a.res.writeHead(a.facts.status, { ...clientResponseHeaders(head, false), 'content-type': 'application/json' });
  a.finish(() => a.res.end(json));
}

/**
 * The page token to give a Gemini client after a page of its objects: `next`, unless every upstream
 * page from there on holds none of them (then none: the list has ended), or the first of those that
 * holds one comes later (then that page's). Gemini's pager (`@google/genai`) yields an `undefined`
 * item for a page with no items, so a token must not lead to one; reading ahead costs an upstream
 * read, at most `budget`, after which `next` is given as it is.
 */
async function nextWithAny(a: ListArgs, url: URL, shape: ListShape, next: string, budget: number): Promise<string | undefined> {
  let token = next;
  for (let n = 0; n < budget; n++) {
    url.searchParams.set(shape.cursor(url.searchParams), token);
    const r = await ask(a, url);
    const body = r.status >= 200 && r.status < 300 ? asObject(parseJson(r.text)) : undefined;
    const items = body?.[shape.items] ?? [];
    if (body === undefined || !Array.isArray(items)) return token;
    const ids = items.map((i) => text(asObject(i)?.[shape.id]) ?? '');
    const owners = await a.objects.owners(ids, false);
    if (ids.some((id) => mayUse(a.objects.mode, owners.get(id), a.owner))) return token;
    const after = shape.next(body, items.map((i) => asObject(i) ?? {}), url.searchParams);
    if (after === undefined) return undefined;
    token = after;
  }
  return token;
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

async function ask(a: ListArgs, url: URL): Promise<Answer> {
  let r: Dispatcher.ResponseData;
  try {
    r = await request(a.agent, { origin: url.origin, path: url.pathname + url.search, method: 'GET', headers: { ...a.headers, 'accept-encoding': 'identity' } });
  } catch (err) {
    throw upstreamFailure(err, url.href);
  }
  return { status: r.statusCode, headers: r.headers, text: await r.body.text() };
}

/** An answer that is not a page: as it came, the row saying what the upstream said. */
function passOn(a: ListArgs, r: Answer): void {
  if (r.status >= 400) {
    a.facts.outcome = 'upstream_error';
    a.facts.errorType = `http_${r.status}`;
  }
  a.res.writeHead(r.status, clientResponseHeaders(r.headers, false));
  a.finish(() => a.res.end(r.text));
}

/** The output and error files a listed batch names are its owner's (as on a retrieve: madeObjects). */
function recordBatchFiles(a: ListArgs, batches: JsonObject[], owners: Map<string, ObjectOwner>): void {
  const now = Date.now();
  for (const b of batches) {
    const owner = owners.get(text(b.id) ?? '');
    if (owner === undefined || !mayUse(a.objects.mode, owner, a.owner)) continue;
    a.objects.made(batchFiles(b).map((id) => ({ id, api: 'openai.batches', keyId: owner.keyId, team: owner.team, createdAt: now })));
  }
}

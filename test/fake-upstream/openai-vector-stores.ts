import { randomBytes } from 'node:crypto';
import { errorReply } from './errors.js';
import { jsonHeaders } from './headers.js';
import { uploadedFile } from './openai-batches.js';
import { type BuildInput, type Reply, isRecord, jsonReply, pretty, str } from './reply.js';

type Json = Record<string, unknown>;

interface StoreFile {
  id: string;
  createdAt: number;
  bytes: number;
  batchId: string | undefined;
  attributes: unknown;
}

interface Store {
  id: string;
  createdAt: number;
  name: string;
  metadata: unknown;
  files: Map<string, StoreFile>;
  batches: Map<string, { id: string; createdAt: number; cancelled: boolean }>;
}

/** Vector stores made through any fake in this process, in the order made (ids are random, so two fakes never share one). */
const STORES = new Map<string, Store>();
/** Creation times one apart, so that lists have an order as the provider's do. */
let clock = 1_795_000_000;

const PATH = /^\/vector_stores(?:\/([^/]+)(?:\/(search|files|file_batches)(?:\/([^/]+)(?:\/(content|cancel|files))?)?)?)?$/;

/** The route name of an OpenAI vector stores path (without `/v1`), or undefined. */
export function vectorStoreRoute(method: string, path: string): string | undefined {
  const m = PATH.exec(path);
  if (m === null) return undefined;
  const [, store, part, id, action] = m;
  const pick = (names: Record<string, string>) => names[method];
  if (store === undefined) return pick({ POST: 'openai.vector_stores.create', GET: 'openai.vector_stores.list' });
  if (part === undefined) return pick({ GET: 'openai.vector_stores.retrieve', POST: 'openai.vector_stores.update', DELETE: 'openai.vector_stores.delete' });
  if (part === 'search') return id === undefined ? pick({ POST: 'openai.vector_stores.search' }) : undefined;
  if (part === 'files') {
    if (id === undefined) return pick({ POST: 'openai.vector_stores.files.create', GET: 'openai.vector_stores.files.list' });
    if (action === undefined) return pick({ GET: 'openai.vector_stores.files.retrieve', POST: 'openai.vector_stores.files.update', DELETE: 'openai.vector_stores.files.delete' });
    return action === 'content' ? pick({ GET: 'openai.vector_stores.files.content' }) : undefined;
  }
  if (id === undefined) return pick({ POST: 'openai.vector_stores.file_batches.create' });
  if (action === undefined) return pick({ GET: 'openai.vector_stores.file_batches.retrieve' });
  if (action === 'cancel') return pick({ POST: 'openai.vector_stores.file_batches.cancel' });
  return action === 'files' ? pick({ GET: 'openai.vector_stores.file_batches.list_files' }) : undefined;
}

const json = (body: unknown): Reply => jsonReply(jsonHeaders('openai'), pretty(body));
const notFound = (input: BuildInput, message: string) => errorReply('openai', 404, { type: 'invalid_request_error', message }, input.requestId);
const counts = (files: StoreFile[], cancelled = false) => ({ in_progress: 0, completed: cancelled ? 0 : files.length, failed: 0, cancelled: cancelled ? files.length : 0, total: files.length });

function storeObject(s: Store): Json {
  const files = [...s.files.values()];
  return {
    id: s.id,
    object: 'vector_store',
    created_at: s.createdAt,
    name: s.name,
    usage_bytes: files.reduce((sum, f) => sum + f.bytes, 0),
    file_counts: counts(files),
    status: 'completed',
    expires_after: null,
    expires_at: null,
    last_active_at: s.createdAt,
    metadata: s.metadata,
  };
}

function fileObject(s: Store, f: StoreFile): Json {
  return {
    id: f.id,
    object: 'vector_store.file',
    usage_bytes: f.bytes,
    created_at: f.createdAt,
    vector_store_id: s.id,
    status: 'completed',
    last_error: null,
    chunking_strategy: { type: 'static', static: { max_chunk_size_tokens: 800, chunk_overlap_tokens: 400 } },
    attributes: f.attributes,
  };
}

/**
 * A cursor page as the provider pages its lists: newest first unless `order=asc`, `limit` (20)
 * items after `after` or just before `before`, `has_more` when more lie that way.
 */
function page<T>(all: readonly T[], idOf: (t: T) => string, query: Readonly<Record<string, string>>, render: (t: T) => Json): Json {
  const ordered = query.order === 'asc' ? [...all] : [...all].reverse();
  const limit = Number(query.limit ?? 20);
  let from = 0;
  let to = Math.min(ordered.length, limit);
  if (query.before !== undefined) {
    to = Math.max(0, ordered.findIndex((t) => idOf(t) === query.before));
    from = Math.max(0, to - limit);
  } else if (query.after !== undefined) {
    from = ordered.findIndex((t) => idOf(t) === query.after) + 1;
    to = Math.min(ordered.length, from + limit);
  }
  const data = ordered.slice(from, to).map(render);
  const hasMore = query.before !== undefined ? from > 0 : to < ordered.length;
  return { object: 'list', data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: hasMore };
}

function attach(input: BuildInput, s: Store, ids: readonly unknown[], batchId?: string): Reply | StoreFile[] {
  const made: StoreFile[] = [];
  for (const id of ids) {
    const file = typeof id === 'string' ? uploadedFile(id) : undefined;
    if (file === undefined) return errorReply('openai', 400, { type: 'invalid_request_error', message: `File '${String(id)}' not found.` }, input.requestId);
    made.push({ id: id as string, createdAt: clock++, bytes: file.bytes.length, batchId, attributes: {} });
  }
  for (const f of made) s.files.set(f.id, f);
  return made;
}

/**
 * OpenAI's Vector Stores API (`client.vectorStores`, `.files`, `.fileBatches`): stores and the files
 * attached to them kept in memory, a file read from the fake's uploads (openai-batches.ts); files
 * are `completed` at once. A search gives each file of the store as one result holding its text.
 * An unknown store, file or batch is a 404 `invalid_request_error`; a file never uploaded, a 400.
 */
export function buildVectorStores(input: BuildInput): Reply {
  const { req, body } = input;
  const path = req.path.startsWith('/v1/') ? req.path.slice(3) : req.path;
  const route = vectorStoreRoute(req.method, path)!;
  const [, storeId, , partId] = PATH.exec(path)!.map((p) => (p === undefined ? undefined : decodeURIComponent(p)));
  if (route === 'openai.vector_stores.create') {
    const s: Store = { id: `vs_${randomBytes(12).toString('hex')}`, createdAt: clock++, name: str(body.name) ?? '', metadata: body.metadata ?? {}, files: new Map(), batches: new Map() };
    const attached = attach(input, s, Array.isArray(body.file_ids) ? body.file_ids : []);
    if (!Array.isArray(attached)) return attached;
    STORES.set(s.id, s);
    return json(storeObject(s));
  }
  if (route === 'openai.vector_stores.list') return json(page([...STORES.values()], (s) => s.id, req.query, storeObject));
  const s = STORES.get(storeId!);
  if (s === undefined) return notFound(input, `Vector store with id '${storeId}' not found.`);
  switch (route) {
    case 'openai.vector_stores.retrieve':
      return json(storeObject(s));
    case 'openai.vector_stores.update':
      s.name = str(body.name) ?? s.name;
      s.metadata = body.metadata ?? s.metadata;
      return json(storeObject(s));
    case 'openai.vector_stores.delete':
      STORES.delete(s.id);
      return json({ id: s.id, object: 'vector_store.deleted', deleted: true });
    case 'openai.vector_stores.search': {
      const query = typeof body.query === 'string' ? body.query : Array.isArray(body.query) ? body.query.join(' ') : '';
      const data = [...s.files.values()].map((f) => ({ file_id: f.id, filename: uploadedFile(f.id)?.filename ?? f.id, score: 0.5, attributes: f.attributes, content: [{ type: 'text', text: uploadedFile(f.id)?.bytes.toString('utf8') ?? '' }] }));
      return json({ object: 'vector_store.search_results.page', search_query: query, data, has_more: false, next_page: null });
    }
    case 'openai.vector_stores.files.create': {
      const attached = attach(input, s, [body.file_id]);
      if (!Array.isArray(attached)) return attached;
      attached[0]!.attributes = body.attributes ?? {};
      return json(fileObject(s, attached[0]!));
    }
    case 'openai.vector_stores.files.list':
      return json(page([...s.files.values()], (f) => f.id, req.query, (f) => fileObject(s, f)));
    case 'openai.vector_stores.file_batches.create': {
      const batch = { id: `vsfb_${randomBytes(12).toString('hex')}`, createdAt: clock++, cancelled: false };
      const ids = [...(Array.isArray(body.file_ids) ? body.file_ids : []), ...(Array.isArray(body.files) ? body.files.map((f) => (isRecord(f) ? f.file_id : undefined)) : [])];
      const attached = attach(input, s, ids, batch.id);
      if (!Array.isArray(attached)) return attached;
      s.batches.set(batch.id, batch);
      return json(batchObject(s, batch));
    }
  }
  if (route.startsWith('openai.vector_stores.file_batches.')) {
    const batch = s.batches.get(partId!);
    if (batch === undefined) return notFound(input, `Vector store file batch with id '${partId}' not found.`);
    if (route === 'openai.vector_stores.file_batches.cancel') batch.cancelled = true;
    if (route === 'openai.vector_stores.file_batches.list_files') return json(page([...s.files.values()].filter((f) => f.batchId === batch.id), (f) => f.id, req.query, (f) => fileObject(s, f)));
    return json(batchObject(s, batch));
  }
  const f = s.files.get(partId!);
  if (f === undefined) return notFound(input, `No file found with id '${partId}' in vector store '${s.id}'.`);
  switch (route) {
    case 'openai.vector_stores.files.update':
      f.attributes = body.attributes ?? f.attributes;
      return json(fileObject(s, f));
    case 'openai.vector_stores.files.delete':
      s.files.delete(f.id);
      return json({ id: f.id, object: 'vector_store.file.deleted', deleted: true });
    case 'openai.vector_stores.files.content':
      return json({ object: 'vector_store.file_content.page', data: [{ type: 'text', text: uploadedFile(f.id)?.bytes.toString('utf8') ?? '' }], has_more: false, next_page: null });
  }
  return json(fileObject(s, f));
}

function batchObject(s: Store, b: { id: string; createdAt: number; cancelled: boolean }): Json {
  const files = [...s.files.values()].filter((f) => f.batchId === b.id);
  return { id: b.id, object: 'vector_store.files_batch', created_at: b.createdAt, vector_store_id: s.id, status: b.cancelled ? 'cancelled' : 'completed', file_counts: counts(files, b.cancelled) };
}

import { randomBytes } from 'node:crypto';
import { errorReply } from './errors.js';
import { jsonHeaders } from './headers.js';
import { type BuildInput, type Reply, isRecord, jsonReply, pretty } from './reply.js';

type Json = Record<string, unknown>;

interface StoredChat {
  completion: Json;
  /** The request's messages, as `chat.completions.messages.list` gives them back. */
  messages: Json[];
  metadata: Record<string, string>;
}

/** Chat completions made with `store: true` through any fake in this process, oldest first (ids are random, so two fakes never share one). */
const STORED = new Map<string, StoredChat>();

const PATH = /^\/chat\/completions(?:\/([^/]+)(\/messages)?)?$/;

/** The route name of a stored chat completion's path (without `/v1`), or undefined; `POST /chat/completions` is the create (openai-chat.ts). */
export function storedChatRoute(method: string, path: string): string | undefined {
  const m = PATH.exec(path);
  if (m === null) return undefined;
  if (m[1] === undefined) return method === 'GET' ? 'openai.chat.list' : undefined;
  if (m[2] !== undefined) return method === 'GET' ? 'openai.chat.messages' : undefined;
  return method === 'GET' ? 'openai.chat.retrieve' : method === 'POST' ? 'openai.chat.update' : method === 'DELETE' ? 'openai.chat.delete' : undefined;
}

/** A random id for a completion to store: each is its own. */
export function storedChatId(): string {
  return `chatcmpl-${randomBytes(15).toString('hex')}`;
}

/** Keeps a completion made with `store: true` (its answer streamed or not) with the request's messages and metadata. */
export function storeChat(body: Readonly<Json>, completion: Json): void {
  const id = String(completion.id);
  const metadata = isRecord(body.metadata) ? (body.metadata as Record<string, string>) : {};
  const given = Array.isArray(body.messages) ? body.messages.filter(isRecord) : [];
  const messages = given.map((m, i) => {
    const parts = Array.isArray(m.content) ? m.content : null;
    const text = parts === null ? (m.content ?? null) : parts.map((p) => (isRecord(p) && typeof p.text === 'string' ? p.text : '')).join('');
    return { id: `${id}-${i}`, role: m.role, content: text, name: m.name ?? null, content_parts: parts };
  });
  STORED.set(id, { completion, messages, metadata });
}

const json = (body: unknown): Reply => jsonReply(jsonHeaders('openai'), pretty(body));
const completionObject = (c: StoredChat) => ({ ...c.completion, metadata: c.metadata });

/** A cursor page as OpenAI's chat completion lists give one: `limit` (20 by default), `after`, `order` (oldest first by default). */
function page(all: Json[], query: Readonly<Record<string, string>>): Json {
  const ordered = query.order === 'desc' ? [...all].reverse() : all;
  const from = query.after === undefined ? 0 : ordered.findIndex((t) => t.id === query.after) + 1;
  const limit = Math.max(1, Math.min(100, Number(query.limit ?? 20) || 20));
  const data = ordered.slice(from, from + limit);
  return { object: 'list', data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: from + limit < ordered.length };
}

/** Whether a completion is one a list asks for: its `model`, and each `metadata[key]=value` of the query. */
function listed(c: StoredChat, query: Readonly<Record<string, string>>): boolean {
  if (query.model !== undefined && c.completion.model !== query.model) return false;
  for (const [k, v] of Object.entries(query)) {
    const key = /^metadata\[(.+)\]$/.exec(k)?.[1];
    if (key !== undefined && c.metadata[key] !== v) return false;
  }
  return true;
}

/**
 * OpenAI's stored chat completions (`client.chat.completions.list`, `.retrieve`, `.update`, `.delete`,
 * `.messages.list`): those a `POST /chat/completions` with `store: true` made (openai-chat.ts). An unknown
 * id is a 404 `invalid_request_error`.
 */
export function buildStoredChat(input: BuildInput): Reply {
  const { req, body } = input;
  const path = req.path.startsWith('/v1/') ? req.path.slice(3) : req.path;
  const route = storedChatRoute(req.method, path)!;
  if (route === 'openai.chat.list') return json(page([...STORED.values()].filter((c) => listed(c, req.query)).map(completionObject), req.query));
  const id = decodeURIComponent(PATH.exec(path)![1]!);
  const c = STORED.get(id);
  if (c === undefined) return errorReply('openai', 404, { type: 'invalid_request_error', message: `Chat completion with id '${id}' not found.` }, input.requestId);
  switch (route) {
    case 'openai.chat.messages':
      return json(page(c.messages, req.query));
    case 'openai.chat.update':
      c.metadata = isRecord(body.metadata) ? (body.metadata as Record<string, string>) : {};
      return json(completionObject(c));
    case 'openai.chat.delete':
      STORED.delete(id);
      return json({ object: 'chat.completion.deleted', id, deleted: true });
  }
  return json(completionObject(c));
}

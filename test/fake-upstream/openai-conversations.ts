import { randomBytes } from 'node:crypto';
import { errorReply } from './errors.js';
import { jsonHeaders } from './headers.js';
import { type BuildInput, type Reply, isRecord, jsonReply, pretty } from './reply.js';

type Json = Record<string, unknown>;

interface Conversation {
  id: string;
  createdAt: number;
  metadata: unknown;
  items: Json[];
}

/** Conversations made through any fake in this process (ids are random, so two fakes never share one). */
const CONVERSATIONS = new Map<string, Conversation>();

const PATH = /^\/conversations(?:\/([^/]+)(?:\/items(?:\/([^/]+))?)?)?$/;

/** The route name of an OpenAI conversations path (without `/v1`), or undefined. */
export function conversationRoute(method: string, path: string): string | undefined {
  const m = PATH.exec(path);
  if (m === null) return undefined;
  const items = path.includes('/items');
  if (m[1] === undefined) return method === 'POST' ? 'openai.conversations.create' : undefined;
  if (m[2] !== undefined) return method === 'GET' ? 'openai.conversations.items.retrieve' : method === 'DELETE' ? 'openai.conversations.items.delete' : undefined;
  if (items) return method === 'GET' ? 'openai.conversations.items.list' : method === 'POST' ? 'openai.conversations.items.create' : undefined;
  return method === 'GET' ? 'openai.conversations.retrieve' : method === 'POST' ? 'openai.conversations.update' : method === 'DELETE' ? 'openai.conversations.delete' : undefined;
}

const json = (body: unknown): Reply => jsonReply(jsonHeaders('openai'), pretty(body));
const notFound = (input: BuildInput, message: string) => errorReply('openai', 404, { type: 'invalid_request_error', message }, input.requestId);
const conversationObject = (c: Conversation) => ({ id: c.id, object: 'conversation', created_at: c.createdAt, metadata: c.metadata });
const list = (items: Json[]) => ({ object: 'list', data: items, first_id: items[0]?.id ?? null, last_id: items.at(-1)?.id ?? null, has_more: false });

/** An input item as the conversation keeps it: a message gets an id, a status and typed content (ConversationItem). */
function stored(item: unknown): Json {
  const it = isRecord(item) ? item : {};
  const content = typeof it.content === 'string' ? [{ type: it.role === 'assistant' ? 'output_text' : 'input_text', text: it.content }] : (it.content ?? []);
  const base = it.role !== undefined ? { type: 'message', status: 'completed', role: it.role, content } : it;
  return { id: `msg_${randomBytes(12).toString('hex')}`, ...base };
}

/**
 * OpenAI's Conversations API (`client.conversations`, `client.conversations.items`): a conversation
 * and its items kept in memory; `POST /responses` with `conversation` adds its input and output
 * items (openai-responses.ts, addToConversation). An unknown id is a 404 `invalid_request_error`.
 */
export function buildConversations(input: BuildInput): Reply {
  const { req, body } = input;
  const path = req.path.startsWith('/v1/') ? req.path.slice(3) : req.path;
  const route = conversationRoute(req.method, path)!;
  const m = PATH.exec(path)!;
  if (route === 'openai.conversations.create') {
    const c: Conversation = { id: `conv_${randomBytes(24).toString('hex')}`, createdAt: Math.floor(Date.now() / 1000), metadata: body.metadata ?? null, items: [] };
    c.items.push(...(Array.isArray(body.items) ? body.items.map(stored) : []));
    CONVERSATIONS.set(c.id, c);
    return json(conversationObject(c));
  }
  const id = decodeURIComponent(m[1]!);
  const c = CONVERSATIONS.get(id);
  if (c === undefined) return notFound(input, `Conversation with id '${id}' not found.`);
  switch (route) {
    case 'openai.conversations.retrieve':
      return json(conversationObject(c));
    case 'openai.conversations.update':
      c.metadata = body.metadata ?? c.metadata;
      return json(conversationObject(c));
    case 'openai.conversations.delete':
      CONVERSATIONS.delete(id);
      return json({ id, object: 'conversation.deleted', deleted: true });
    case 'openai.conversations.items.list':
      return json(list(req.query.order === 'asc' ? c.items : [...c.items].reverse()));
    case 'openai.conversations.items.create': {
      const added = Array.isArray(body.items) ? body.items.map(stored) : [];
      c.items.push(...added);
      return json(list(added));
    }
  }
  const itemId = decodeURIComponent(m[2]!);
  const at = c.items.findIndex((i) => i.id === itemId);
  if (at < 0) return notFound(input, `Item with id '${itemId}' not found.`);
  if (route === 'openai.conversations.items.delete') {
    c.items.splice(at, 1);
    return json(conversationObject(c));
  }
  return json(c.items[at]);
}

/** The id a Responses request's `conversation` names (an id or `{id}`), if any. */
export function conversationOf(body: Readonly<Json>): string | undefined {
  const c = body.conversation;
  const id = typeof c === 'string' ? c : isRecord(c) ? c.id : undefined;
  return typeof id === 'string' ? id : undefined;
}

/** A Response's input and output items, added to the conversation it names (when the fake has it). */
export function addToConversation(id: string, input: unknown, output: readonly unknown[]): void {
  const c = CONVERSATIONS.get(id);
  if (c === undefined) return;
  const given = typeof input === 'string' ? [{ role: 'user', content: input }] : Array.isArray(input) ? input : [];
  c.items.push(...given.map(stored), ...output.filter(isRecord));
}

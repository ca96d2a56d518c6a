import { randomBytes } from 'node:crypto';
import { cacheWrites, planContent, resolveUsage } from './content.js';
import { errorReply } from './errors.js';
import { jsonHeaders } from './headers.js';
import { type BuildInput, type Reply, isRecord, jsonReply, str } from './reply.js';

type Json = Record<string, unknown>;

/** One request of a batch, as the fake keeps it. */
interface Item {
  customId: string;
  model: string;
  bytes: number;
}

interface Batch {
  id: string;
  items: Item[];
  createdAt: string;
  canceledAt: string | undefined;
}

/** Batches made through any fake in this process (ids are random, so two fakes never share one). */
const BATCHES = new Map<string, Batch>();

const BATCH_PATH = /^\/v1\/messages\/batches(?:\/([^/]+)(\/cancel|\/results)?)?$/;

/** The route name of a Message Batches path, or undefined. */
export function batchRoute(method: string, path: string): string | undefined {
  const m = BATCH_PATH.exec(path);
  if (m === null) return undefined;
  if (m[1] === undefined) return method === 'POST' ? 'anthropic.batches.create' : method === 'GET' ? 'anthropic.batches.list' : undefined;
  if (m[2] === '/cancel') return method === 'POST' ? 'anthropic.batches.cancel' : undefined;
  if (m[2] === '/results') return method === 'GET' ? 'anthropic.batches.results' : undefined;
  return method === 'GET' ? 'anthropic.batches.retrieve' : method === 'DELETE' ? 'anthropic.batches.delete' : undefined;
}

/**
 * Message Batches: a batch is `in_progress` when created and `ended` when retrieved or listed
 * (its requests all processed), `canceling` when cancelled (then ended with every request
 * canceled). Its results are JSONL, one line per request in order: `errored` for a custom_id
 * starting with `err`, `expired` for one starting with `exp`, `succeeded` otherwise, the Message's
 * usage the scenario's (or estimated from the request's params) with `service_tier: "batch"`.
 * `results_url` is absolute, to the fake's own origin (its Host header).
 */
export function buildBatches(input: BuildInput): Reply {
  const { req } = input;
  const m = BATCH_PATH.exec(req.path)!;
  const route = batchRoute(req.method, req.path);
  const origin = `http://${req.headers.host ?? '127.0.0.1'}`;
  if (route === 'anthropic.batches.create') return created(input, origin);
  if (route === 'anthropic.batches.list') {
    const data = [...BATCHES.values()].reverse().map((b) => batchObject(b, origin, false));
    return json({ data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null });
  }
  const id = decodeURIComponent(m[1]!);
  const batch = BATCHES.get(id);
  if (batch === undefined) return errorReply('anthropic', 404, { type: 'not_found_error', message: `Message batch ${id} not found.` }, input.requestId);
  if (route === 'anthropic.batches.cancel') {
    batch.canceledAt ??= new Date().toISOString();
    return json(batchObject(batch, origin, true));
  }
  if (route === 'anthropic.batches.delete') {
    BATCHES.delete(id);
    return json({ id, type: 'message_batch_deleted' });
  }
  if (route === 'anthropic.batches.results') return results(input, batch);
  return json(batchObject(batch, origin, false));
}

function created(input: BuildInput, origin: string): Reply {
  const requests = Array.isArray(input.body.requests) ? (input.body.requests as unknown[]) : [];
  const items: Item[] = [];
  for (const r of requests) {
    const params = isRecord(r) && isRecord(r.params) ? r.params : undefined;
    const customId = isRecord(r) ? str(r.custom_id) : undefined;
    if (params === undefined || customId === undefined) {
      return errorReply('anthropic', 400, { type: 'invalid_request_error', message: 'requests: each request needs a custom_id and params' }, input.requestId);
    }
    items.push({ customId, model: str(params.model) ?? 'claude-fake', bytes: Buffer.byteLength(JSON.stringify(params)) });
  }
  if (items.length === 0) return errorReply('anthropic', 400, { type: 'invalid_request_error', message: 'requests: at least one request is required' }, input.requestId);
  const batch: Batch = { id: `msgbatch_01${randomBytes(11).toString('hex')}`, items, createdAt: new Date().toISOString(), canceledAt: undefined };
  BATCHES.set(batch.id, batch);
  return json(batchObject(batch, origin, true));
}

function outcomeOf(b: Batch, item: Item): 'succeeded' | 'errored' | 'expired' | 'canceled' {
  if (b.canceledAt !== undefined) return 'canceled';
  if (item.customId.startsWith('err')) return 'errored';
  if (item.customId.startsWith('exp')) return 'expired';
  return 'succeeded';
}

/** The MessageBatch object; `processing` while just created or being cancelled, ended otherwise. */
function batchObject(b: Batch, origin: string, processing: boolean): Json {
  const counts = { processing: 0, succeeded: 0, errored: 0, canceled: 0, expired: 0 };
  if (processing) counts.processing = b.items.length;
  else for (const item of b.items) counts[outcomeOf(b, item)]++;
  const created = new Date(b.createdAt);
  return {
    id: b.id,
    type: 'message_batch',
    processing_status: processing ? (b.canceledAt !== undefined ? 'canceling' : 'in_progress') : 'ended',
    request_counts: counts,
    ended_at: processing ? null : new Date(created.getTime() + 60_000).toISOString(),
    created_at: b.createdAt,
    expires_at: new Date(created.getTime() + 86_400_000).toISOString(),
    archived_at: null,
    cancel_initiated_at: b.canceledAt ?? null,
    results_url: processing ? null : `${origin}/v1/messages/batches/${b.id}/results`,
  };
}

function results(input: BuildInput, b: Batch): Reply {
  const s = input.scenario;
  const pieces = b.items.map((item, i) => {
    const outcome = outcomeOf(b, item);
    let result: Json;
    if (outcome === 'succeeded') {
      const content = planContent(s, []);
      const u = resolveUsage(s.usage, item.bytes, content);
      const usage = {
        input_tokens: u.input,
        cache_creation_input_tokens: cacheWrites(u),
        cache_read_input_tokens: u.cacheRead,
        cache_creation: { ephemeral_5m_input_tokens: u.cacheWrite5m, ephemeral_1h_input_tokens: u.cacheWrite1h },
        output_tokens: u.output,
        service_tier: 'batch',
      };
      const message = {
        id: `msg_01FakeBatch${String(i).padStart(12, '0')}`,
        type: 'message',
        role: 'assistant',
        model: s.model ?? item.model,
        content: content.text === '' ? [] : [{ type: 'text', text: content.text }],
        stop_reason: 'end_turn',
        stop_sequence: null,
        usage,
      };
      result = { type: 'succeeded', message };
    } else if (outcome === 'errored') {
      result = { type: 'errored', error: { type: 'error', error: { type: 'invalid_request_error', message: 'max_tokens: Field required' }, request_id: null } };
    } else {
      result = { type: outcome };
    }
    return Buffer.from(`${JSON.stringify({ custom_id: item.customId, result })}\n`);
  });
  return { status: 200, headers: { ...jsonHeaders('anthropic'), 'content-type': 'application/binary' }, pieces, stream: false };
}

function json(value: Json): Reply {
  return jsonReply(jsonHeaders('anthropic'), JSON.stringify(value));
}

import { randomBytes } from 'node:crypto';
import { planContent, resolveUsage } from './content.js';
import { errorReply } from './errors.js';
import { jsonHeaders } from './headers.js';
import { storeChat, storedChatId } from './openai-stored-chat.js';
import { type BuildInput, type Reply, isRecord, jsonReply, str } from './reply.js';

type Json = Record<string, unknown>;

interface StoredFile {
  id: string;
  filename: string;
  purpose: string;
  bytes: Buffer;
  createdAt: number;
}

interface Batch {
  id: string;
  inputFileId: string;
  endpoint: string;
  createdAt: number;
  cancelled: boolean;
  outputFileId: string | undefined;
  errorFileId: string | undefined;
}

/** Files and batches made through any fake in this process (ids are random, so two fakes never share one). */
const FILES = new Map<string, StoredFile>();
const BATCHES = new Map<string, Batch>();

const FILE_PATH = /^\/files(?:\/([^/]+)(\/content)?)?$/;
const BATCH_PATH = /^\/batches(?:\/([^/]+)(\/cancel)?)?$/;

/** The route name of an OpenAI files or batches path (without `/v1`), or undefined. */
export function openaiBatchRoute(method: string, path: string): string | undefined {
  const f = FILE_PATH.exec(path);
  if (f !== null) {
    if (f[1] === undefined) return method === 'POST' ? 'openai.files.create' : method === 'GET' ? 'openai.files.list' : undefined;
    if (f[2] !== undefined) return method === 'GET' ? 'openai.files.content' : undefined;
    return method === 'GET' ? 'openai.files.retrieve' : method === 'DELETE' ? 'openai.files.delete' : undefined;
  }
  const b = BATCH_PATH.exec(path);
  if (b === null) return undefined;
  if (b[1] === undefined) return method === 'POST' ? 'openai.batches.create' : method === 'GET' ? 'openai.batches.list' : undefined;
  if (b[2] !== undefined) return method === 'POST' ? 'openai.batches.cancel' : undefined;
  return method === 'GET' ? 'openai.batches.retrieve' : undefined;
}

/**
 * OpenAI's Files and Batch APIs: an upload (multipart/form-data) is kept; a batch is `validating`
 * when created and `completed` when retrieved or listed (its requests all processed), or
 * `cancelled` when cancelled. Completing writes its output file, one line per request of the
 * input file in order: a failed request (status 400) for a custom_id starting with `err`, a chat
 * completion otherwise (kept, as `chat.completions.retrieve` finds it, when its request asked `store:
 * true`), or a Response for a `/v1/responses` line, its usage the scenario's (or estimated from the
 * request's body). Each answer's id and its items' are the line's own, random, as the provider's are.
 */
export function buildOpenaiBatches(input: BuildInput): Reply {
  const { req } = input;
  const path = req.path.startsWith('/v1/') ? req.path.slice(3) : req.path;
  const route = openaiBatchRoute(req.method, path)!;
  const id = decodeURIComponent(FILE_PATH.exec(path)?.[1] ?? BATCH_PATH.exec(path)?.[1] ?? '');
  switch (route) {
    case 'openai.files.create':
      return upload(input);
    case 'openai.files.list':
      return json({ object: 'list', data: [...FILES.values()].map(fileObject), has_more: false });
    case 'openai.batches.create':
      return createBatch(input);
    case 'openai.batches.list':
      return json({ object: 'list', data: [...BATCHES.values()].map((b) => batchObject(complete(input, b))), has_more: false });
  }
  if (route.startsWith('openai.files.')) {
    const file = FILES.get(id);
    if (file === undefined) return notFound(input, `No such File object: ${id}`);
    if (route === 'openai.files.delete') {
      FILES.delete(id);
      return json({ id, object: 'file', deleted: true });
    }
    if (route === 'openai.files.content') return { status: 200, headers: { 'content-type': 'application/octet-stream', 'x-request-id': 'req_fakeFileContent' }, pieces: [file.bytes], stream: false };
    return json(fileObject(file));
  }
  const batch = BATCHES.get(id);
  if (batch === undefined) return notFound(input, `No such batch: ${id}`);
  if (route === 'openai.batches.cancel') {
    batch.cancelled = true;
    return json({ ...batchObject(batch), status: 'cancelling' });
  }
  return json(batchObject(complete(input, batch)));
}

const json = (body: Json): Reply => jsonReply(jsonHeaders('openai'), JSON.stringify(body, null, 2));
const notFound = (input: BuildInput, message: string) => errorReply('openai', 404, { type: 'invalid_request_error', message }, input.requestId);

/** The parts of a multipart/form-data body, by name. */
export function formParts(contentType: string | undefined, body: Buffer): Map<string, { filename: string | undefined; data: Buffer }> {
  const parts = new Map<string, { filename: string | undefined; data: Buffer }>();
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(contentType ?? '');
  if (boundary === null) return parts;
  const delimiter = Buffer.from(`--${boundary[1] ?? boundary[2]}`);
  let at = body.indexOf(delimiter);
  while (at >= 0) {
    const start = at + delimiter.length;
    const next = body.indexOf(delimiter, start);
    if (next < 0) break;
    const part = body.subarray(start, next);
    const headEnd = part.indexOf('\r\n\r\n');
    if (headEnd >= 0) {
      const head = part.subarray(0, headEnd).toString('utf8');
      const name = /name="([^"]*)"/.exec(head)?.[1];
      const filename = /filename="([^"]*)"/.exec(head)?.[1];
      // The part's data ends before the CRLF that precedes the next delimiter.
      if (name !== undefined) parts.set(name, { filename, data: part.subarray(headEnd + 4, part.length - 2) });
    }
    at = next;
  }
  return parts;
}

function upload(input: BuildInput): Reply {
  const parts = formParts(input.req.headers['content-type'], input.req.body);
  const file = parts.get('file');
  const purpose = parts.get('purpose')?.data.toString('utf8');
  if (file === undefined || purpose === undefined) return errorReply('openai', 400, { type: 'invalid_request_error', message: 'A multipart body with `file` and `purpose` is required.' }, input.requestId);
  const stored: StoredFile = { id: `file-${randomBytes(12).toString('hex')}`, filename: file.filename ?? 'upload', purpose, bytes: Buffer.from(file.data), createdAt: 1_795_000_000 };
  FILES.set(stored.id, stored);
  return json(fileObject(stored));
}

function fileObject(f: StoredFile): Json {
  return { id: f.id, object: 'file', bytes: f.bytes.length, created_at: f.createdAt, filename: f.filename, purpose: f.purpose, status: 'processed', status_details: null };
}

function createBatch(input: BuildInput): Reply {
  const inputFileId = str(input.body.input_file_id);
  const endpoint = str(input.body.endpoint);
  if (inputFileId === undefined || endpoint === undefined || !FILES.has(inputFileId)) {
    return errorReply('openai', 400, { type: 'invalid_request_error', message: 'input_file_id must name an uploaded file, and endpoint is required.' }, input.requestId);
  }
  const batch: Batch = { id: `batch_${randomBytes(12).toString('hex')}`, inputFileId, endpoint, createdAt: 1_795_000_000, cancelled: false, outputFileId: undefined, errorFileId: undefined };
  BATCHES.set(batch.id, batch);
  return json(batchObject(batch));
}

/** Runs a batch's requests once: its output file holds every request's answer, in input order. */
function complete(input: BuildInput, b: Batch): Batch {
  if (b.outputFileId !== undefined || b.cancelled) return b;
  const s = input.scenario;
  const lines = (FILES.get(b.inputFileId)?.bytes.toString('utf8') ?? '').split('\n').filter((l) => l.trim() !== '');
  const out = lines.map((line, i) => {
    const req = JSON.parse(line) as Json;
    const customId = str(req.custom_id) ?? `request-${i}`;
    const body = isRecord(req.body) ? req.body : {};
    if (customId.startsWith('err')) {
      const error = { error: { message: 'Invalid request.', type: 'invalid_request_error', param: null, code: null } };
      return { id: `batch_req_${i}`, custom_id: customId, response: { status_code: 400, request_id: `req_${i}`, body: error }, error: null };
    }
    const content = planContent(s, []);
    const u = resolveUsage(s.usage, Buffer.byteLength(JSON.stringify(body)), content);
    if (str(req.url)?.startsWith('/v1/responses')) return { id: `batch_req_${i}`, custom_id: customId, response: { status_code: 200, request_id: `req_${i}`, body: batchResponse(i, body, s.model, content.text, u) }, error: null };
    const completion = {
      id: storedChatId(),
      object: 'chat.completion',
      created: 1_795_000_000,
      model: s.model ?? str(body.model) ?? 'gpt-fake',
      choices: [{ index: 0, message: { role: 'assistant', content: content.text, refusal: null }, finish_reason: 'stop' }],
      usage: {
        prompt_tokens: u.input + u.cacheRead,
        completion_tokens: u.output,
        total_tokens: u.input + u.cacheRead + u.output,
        prompt_tokens_details: { cached_tokens: u.cacheRead },
        completion_tokens_details: { reasoning_tokens: u.reasoning },
      },
      service_tier: 'default',
    };
    if (body.store === true) storeChat(body, completion);
    return { id: `batch_req_${i}`, custom_id: customId, response: { status_code: 200, request_id: `req_${i}`, body: completion }, error: null };
  });
  const output: StoredFile = { id: `file-${randomBytes(12).toString('hex')}`, filename: 'batch_output.jsonl', purpose: 'batch_output', bytes: Buffer.from(out.map((l) => JSON.stringify(l)).join('\n') + '\n'), createdAt: 1_795_000_060 };
  FILES.set(output.id, output);
  b.outputFileId = output.id;
  return b;
}

/**
 * A batch's Responses request answered: its text, after a code interpreter call when its tools have
 * one, run in the container the tool names (an id) or in a new one (`{type: "auto"}`).
 */
function batchResponse(i: number, body: Json, model: string | undefined, text: string, u: ReturnType<typeof resolveUsage>): Json {
  const tool = (Array.isArray(body.tools) ? body.tools : []).find((t) => isRecord(t) && t.type === 'code_interpreter') as Json | undefined;
  const container = tool === undefined ? undefined : (str(tool.container) ?? `cntr_fakeBatch${randomBytes(12).toString('hex')}`);
  const own = `${i}${randomBytes(8).toString('hex')}`;
  const call = container === undefined ? [] : [{ id: `ci_fakeBatch${own}`, type: 'code_interpreter_call', status: 'completed', code: 'print(1)', container_id: container, outputs: null }];
  const message = { id: `msg_fakeBatch${own}`, type: 'message', status: 'completed', role: 'assistant', content: [{ type: 'output_text', annotations: [], logprobs: [], text }] };
  const input = u.input + u.cacheRead;
  return {
    id: `resp_fakeBatch${own}`,
    object: 'response',
    created_at: 1_795_000_000,
    status: 'completed',
    model: model ?? str(body.model) ?? 'gpt-fake',
    output: [...call, message],
    service_tier: 'default',
    store: body.store ?? true,
    tools: body.tools ?? [],
    usage: { input_tokens: input, input_tokens_details: { cached_tokens: u.cacheRead }, output_tokens: u.output, output_tokens_details: { reasoning_tokens: u.reasoning }, total_tokens: input + u.output },
  };
}

function batchObject(b: Batch): Json {
  const done = b.outputFileId !== undefined;
  const total = (FILES.get(b.inputFileId)?.bytes.toString('utf8') ?? '').split('\n').filter((l) => l.trim() !== '').length;
  return {
    id: b.id,
    object: 'batch',
    endpoint: b.endpoint,
    errors: null,
    input_file_id: b.inputFileId,
    completion_window: '24h',
    status: b.cancelled ? 'cancelled' : done ? 'completed' : 'validating',
    output_file_id: b.outputFileId ?? null,
    error_file_id: null,
    created_at: b.createdAt,
    completed_at: done ? b.createdAt + 60 : null,
    request_counts: { total, completed: done ? total : 0, failed: 0 },
    metadata: null,
  };
}

/** A file uploaded to any fake in this process, as a vector store reads it (openai-vector-stores.ts) or a container copies it in (openai-containers.ts). */
export function uploadedFile(id: string): { filename: string; bytes: Buffer } | undefined {
  return FILES.get(id);
}

import { randomBytes } from 'node:crypto';
import { planContent, resolveUsage } from './content.js';
import { errorReply } from './errors.js';
import { embedding, geminiPath, usageMetadata } from './gemini.js';
import { uploadedGeminiFile } from './gemini-files.js';
import { jsonHeaders } from './headers.js';
import { type BuildInput, type Reply, isRecord, jsonReply, pretty, str } from './reply.js';

type Json = Record<string, unknown>;

/** One request of a batch, as the fake keeps it. */
interface Item {
  key: string | undefined;
  bytes: number;
}

interface Batch {
  name: string;
  /** The fake it was made at (its Host): each fake lists its own. */
  host: string;
  model: string;
  displayName: string;
  embeds: boolean;
  items: Item[];
  /** The uploaded file its requests came from, when they were not inline: its results go to a file too. */
  inputFile: string | undefined;
  createTime: string;
  /** Times it was looked up (`GET`): the first finds it running, the next ones ended. */
  polls: number;
  cancelled: boolean;
}

/** Batches made through any fake in this process (names are random, so two fakes never share one). */
const BATCHES = new Map<string, Batch>();
/** The results files of batches, JSON lines by name. */
const FILES = new Map<string, string>();

// Under `/v1` too, as the SDK's `apiVersion: 'v1'` asks (routes.ts takes it for Gemini's when a Gemini key comes with it).
const BATCH_PATH = /^\/v1(?:beta)?\/batches(?:\/([^/:]+)(:cancel)?)?$/;
const DOWNLOAD_PATH = /^\/download\/v1beta\/files\/([^/:]+):download$/;
const CREATE_METHODS: Readonly<Record<string, string>> = { batchGenerateContent: 'gemini.batches.create', asyncBatchEmbedContent: 'gemini.batches.create_embeddings' };

/** The route name of a Gemini Batch API path (or of a results file's download), or undefined. */
export function geminiBatchRoute(method: string, path: string): string | undefined {
  const create = geminiPath(path);
  if (create !== undefined) return method === 'POST' ? CREATE_METHODS[create.method] : undefined;
  if (DOWNLOAD_PATH.test(path)) return method === 'GET' ? 'gemini.files.download' : undefined;
  const m = BATCH_PATH.exec(path);
  if (m === null) return undefined;
  if (m[1] === undefined) return method === 'GET' ? 'gemini.batches.list' : undefined;
  if (m[2] !== undefined) return method === 'POST' ? 'gemini.batches.cancel' : undefined;
  return method === 'GET' ? 'gemini.batches.get' : method === 'DELETE' ? 'gemini.batches.delete' : undefined;
}

/**
 * Gemini's Batch API, as long-running operations named `batches/…`: created `BATCH_STATE_PENDING`,
 * found `BATCH_STATE_RUNNING` when first looked up and `BATCH_STATE_SUCCEEDED` after (or
 * `BATCH_STATE_CANCELLED` once cancelled, without output), its output both in `metadata.output` (where
 * the SDK reads it) and in `response`: inline responses for inline requests, one per request in
 * order (`{response, metadata}`, or `{error, metadata}` for a request whose `metadata.key` starts with
 * `err`), or for requests from a file (uploaded to this fake, `{key, request}` lines) a `responsesFile` of `{key, response}` lines,
 * downloaded at `/download/v1beta/files/{id}:download`. A response's usage is the scenario's (or
 * estimated from the request); an embedding's is its `tokenCount`. Listed as `operations`, newest
 * first (those made at this fake), paged by `pageSize` and `pageToken`. An unknown name is a 404 `NOT_FOUND`.
 */
export function buildGeminiBatches(input: BuildInput): Reply {
  const { req } = input;
  const route = geminiBatchRoute(req.method, req.path)!;
  if (route === 'gemini.batches.create' || route === 'gemini.batches.create_embeddings') return created(input, route === 'gemini.batches.create_embeddings');
  if (route === 'gemini.files.download') {
    const text = FILES.get(`files/${decodeURIComponent(DOWNLOAD_PATH.exec(req.path)![1]!)}`);
    if (text === undefined || req.query.alt !== 'media') return errorReply('gemini', 404, { message: 'File not found.' }, input.requestId);
    return { status: 200, headers: { 'content-type': 'application/octet-stream' }, pieces: [Buffer.from(text)], stream: false };
  }
  if (route === 'gemini.batches.list') return list(input);
  const name = `batches/${decodeURIComponent(BATCH_PATH.exec(req.path)![1]!)}`;
  const batch = BATCHES.get(name);
  if (batch === undefined) return errorReply('gemini', 404, { message: `Batch ${name} not found.` }, input.requestId);
  if (route === 'gemini.batches.cancel') {
    batch.cancelled = true;
    return ok({});
  }
  if (route === 'gemini.batches.delete') {
    BATCHES.delete(name);
    return ok({});
  }
  batch.polls++;
  return ok(operation(batch, input));
}

function created(input: BuildInput, embeds: boolean): Reply {
  const batch = isRecord(input.body.batch) ? input.body.batch : {};
  const config = isRecord(batch.inputConfig) ? batch.inputConfig : {};
  const inputFile = str(config.fileName) ?? str(config.file_name);
  const items: Item[] = [];
  if (inputFile !== undefined) {
    const text = uploadedGeminiFile(input.req.headers.host ?? '', inputFile)?.toString('utf8');
    if (text === undefined) return errorReply('gemini', 400, { message: `File ${inputFile} not found.` }, input.requestId);
    for (const line of text.split('\n').filter((l) => l.trim() !== '')) {
      const obj = JSON.parse(line) as Json;
      items.push({ key: str(obj.key), bytes: Buffer.byteLength(JSON.stringify(obj.request ?? {})) });
    }
  } else {
    const requests = isRecord(config.requests) && Array.isArray(config.requests.requests) ? (config.requests.requests as unknown[]) : [];
    for (const r of requests) {
      if (!isRecord(r) || !isRecord(r.request)) return errorReply('gemini', 400, { message: 'Each inlined request needs a request.' }, input.requestId);
      items.push({ key: isRecord(r.metadata) ? str(r.metadata.key) : undefined, bytes: Buffer.byteLength(JSON.stringify(r.request)) });
    }
  }
  if (items.length === 0) return errorReply('gemini', 400, { message: 'The batch has no requests.' }, input.requestId);
  const model = geminiPath(input.req.path)!.model;
  const b: Batch = {
    name: `batches/${randomBytes(9).toString('hex')}`,
    host: input.req.headers.host ?? '',
    model: model.startsWith('tunedModels/') ? model : `models/${model}`,
    displayName: str(batch.displayName) ?? '',
    embeds,
    items,
    inputFile,
    createTime: new Date().toISOString(),
    polls: 0,
    cancelled: false,
  };
  BATCHES.set(b.name, b);
  return ok(operation(b, input));
}

function list(input: BuildInput): Reply {
  const all = [...BATCHES.values()].filter((b) => b.host === (input.req.headers.host ?? '')).reverse();
  const size = Number(input.req.query.pageSize ?? 50) || 50;
  const from = Number(input.req.query.pageToken ?? 0) || 0;
  const page = all.slice(from, from + size).map((b) => operation(b, input));
  return ok({ ...(page.length > 0 ? { operations: page } : {}), ...(from + size < all.length ? { nextPageToken: String(from + size) } : {}) });
}

function stateOf(b: Batch): string {
  if (b.cancelled) return 'BATCH_STATE_CANCELLED';
  return b.polls === 0 ? 'BATCH_STATE_PENDING' : b.polls === 1 ? 'BATCH_STATE_RUNNING' : 'BATCH_STATE_SUCCEEDED';
}

const failed = (item: Item) => item.key?.startsWith('err') === true;

function operation(b: Batch, input: BuildInput): Json {
  const state = stateOf(b);
  const ended = state === 'BATCH_STATE_SUCCEEDED' || state === 'BATCH_STATE_CANCELLED';
  const done = state === 'BATCH_STATE_SUCCEEDED';
  const errors = done ? b.items.filter(failed).length : 0;
  const kind = b.embeds ? 'EmbedContentBatch' : 'GenerateContentBatch';
  const metadata: Json = {
    '@type': `type.googleapis.com/google.ai.generativelanguage.v1main.${kind}`,
    model: b.model,
    displayName: b.displayName,
    createTime: b.createTime,
    ...(ended ? { endTime: new Date(Date.parse(b.createTime) + 60_000).toISOString() } : {}),
    updateTime: new Date().toISOString(),
    batchStats: { requestCount: String(b.items.length), successfulRequestCount: String(done ? b.items.length - errors : 0), failedRequestCount: String(errors), pendingRequestCount: String(done ? 0 : b.items.length) },
    state,
    name: b.name,
  };
  const op: Json = { name: b.name, metadata };
  if (!ended) return op;
  op.done = true;
  if (!done) return op;
  const output = b.inputFile === undefined ? { inlinedResponses: { inlinedResponses: b.items.map((item, i) => outcome(b, item, i, input)) } } : { responsesFile: resultsFile(b, input) };
  metadata.output = output;
  op.response = { '@type': `type.googleapis.com/google.ai.generativelanguage.v1main.${kind}Output`, ...output };
  return op;
}

/** One request's outcome: its response (or error) and its metadata. */
function outcome(b: Batch, item: Item, index: number, input: BuildInput): Json {
  const metadata = item.key === undefined ? {} : { metadata: { key: item.key } };
  if (failed(item)) return { error: { code: 3, message: 'Request contains an invalid argument.' }, ...metadata };
  if (b.embeds) return { response: { embedding: embedding(index, 8), tokenCount: String(Math.max(1, Math.ceil(item.bytes / 4))) }, ...metadata };
  const s = input.scenario;
  const content = planContent(s, []);
  const u = resolveUsage(s.usage, item.bytes, content);
  const visible = Math.max(0, u.output - u.reasoning);
  const response = {
    candidates: [{ content: { parts: [{ text: content.text }], role: 'model' }, finishReason: 'STOP', index: 0 }],
    usageMetadata: usageMetadata(u, visible, true),
    modelVersion: s.model ?? b.model.replace(/^models\//, ''),
    responseId: `fakeBatchResp${String(index).padStart(4, '0')}`,
  };
  return { response, ...metadata };
}

/** Writes the batch's results as a file of `{key, response}` (or `{key, error}`) lines; its name. */
function resultsFile(b: Batch, input: BuildInput): string {
  const name = `files/batch-${b.name.slice('batches/'.length)}`;
  const lines = b.items.map((item, i) => {
    const { metadata: _, ...rest } = outcome(b, item, i, input);
    return JSON.stringify({ key: item.key ?? String(i), ...rest });
  });
  FILES.set(name, `${lines.join('\n')}\n`);
  return name;
}

function ok(value: unknown): Reply {
  return jsonReply(jsonHeaders('gemini'), pretty(value));
}

import { zeroUsage } from '../../core/usage.js';
import { type JsonObject, asArray, asObject, asText, dig, parseJson } from '../shared/json.js';
import { nothingMetered, withResponseId } from '../shared/metered.js';
import { bufferBody, freeBodyTap } from '../shared/taps.js';
import { errorFromValue } from '../shared/upstream-error.js';
import type { BatchResult, ResponseTap, RouteMatch } from '../types.js';
import { cachedContentName, modelOf } from './caches.js';
import { countFunctionCalls, meterResponse } from './response.js';

/**
 * The states a batch ends in (`metadata.state`; the SDK names them `JOB_STATE_*`). A batch
 * pending or running has no output yet.
 */
const ENDED: ReadonlySet<string> = new Set(['BATCH_STATE_SUCCEEDED', 'BATCH_STATE_FAILED', 'BATCH_STATE_CANCELLED', 'BATCH_STATE_EXPIRED']);

/** A Gemini batch as `GET /v1beta/batches/{id}` (a long-running operation) describes it. */
export interface GeminiBatch {
  /** `batches/…` */
  name: string | undefined;
  ended: boolean;
  /** The model it runs (`models/x` read as `x`). */
  model: string | undefined;
  /** Its succeeded requests, when its results are inline (`inlinedResponses`); undefined when they are not. */
  results: BatchResult[] | undefined;
  /** The file its results were written to (`files/…`), when they were. */
  responsesFile: string | undefined;
}

/**
 * Reads a batch operation: `{name, metadata: {model, state, output}, done, response}`. Once it has
 * ended its output is its `response` (the operation's result) and `metadata.output` alike (the
 * SDK reads the latter): inline responses, or the name of the file they were written to.
 */
export function readGeminiBatch(op: JsonObject, fallbackModel?: string): GeminiBatch {
  const metadata = asObject(op.metadata);
  const state = asText(metadata?.state);
  const model = modelOf(asText(metadata?.model)) ?? fallbackModel;
  const output = outputOf(op);
  const inline = asArray(dig(output, 'inlinedResponses', 'inlinedResponses')) ?? asArray(dig(output, 'inlinedEmbedContentResponses', 'inlinedResponses'));
  const results = inline?.flatMap((item, i) => {
    const r = readBatchResponse(asObject(item), i, model);
    return r === undefined ? [] : [r];
  });
  return { name: asText(op.name), ended: op.done === true || (state !== undefined && ENDED.has(state)), model, results, responsesFile: asText(output?.responsesFile) };
}

function outputOf(op: JsonObject): JsonObject | undefined {
  const response = asObject(op.response);
  if (response !== undefined && (response.inlinedResponses !== undefined || response.inlinedEmbedContentResponses !== undefined || response.responsesFile !== undefined)) return response;
  return asObject(dig(op, 'metadata', 'output'));
}

/**
 * One request's outcome (`{response, metadata}` or `{error, metadata}`, inline or a line of the
 * responses file) as a row's facts: a GenerateContentResponse's usage read as generateContent's,
 * an embedding's `tokenCount` as its input, at the batch tier. Named by its position in the
 * batch (`index`, from 0): unique and the same however often it is read. A failed request is
 * not billed (undefined).
 */
export function readBatchResponse(item: JsonObject | undefined, index: number, model: string | undefined): BatchResult | undefined {
  const response = asObject(item?.response);
  if (response === undefined || item?.error !== undefined) return undefined;
  const r: BatchResult = { customId: String(index), model, usage: zeroUsage(), serviceTier: 'batch' };
  if (response.embedding !== undefined) {
    const count = tokenCount(response.tokenCount);
    if (count === undefined) r.billedWithoutUsage = true;
    else r.usage.inputTokens = count;
    return r;
  }
  const m = meterResponse(response, { toolCalls: countFunctionCalls(response), final: true, sawEnd: true, error: undefined });
  r.usage = m.usage;
  r.model = m.servedModel ?? model;
  if (m.usageSource === 'none') r.billedWithoutUsage = true;
  return r;
}

/**
 * A line of a batch's responses file, the `index`th: `{key, response}` or `{key, error}`, or, as
 * Gemini's guide puts it, a GenerateContentResponse itself or a status object.
 */
export function readResponsesLine(line: string, index: number, model: string | undefined): BatchResult | undefined {
  const obj = asObject(parseJson(line));
  if (obj === undefined) return undefined;
  const wrapped = obj.response !== undefined || obj.error !== undefined;
  const bare = obj.candidates !== undefined || obj.usageMetadata !== undefined || obj.embedding !== undefined;
  return readBatchResponse(wrapped ? obj : bare ? { response: obj } : undefined, index, model);
}

/** An int64 in proto JSON: a string of digits, or a number. */
function tokenCount(v: unknown): number | undefined {
  const n = typeof v === 'string' && /^\d{1,15}$/.test(v) ? Number(v) : v;
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/** The `batch` of a creation's body (`{batch: {displayName, inputConfig, …}}`). */
function batchOf(body: unknown): JsonObject | undefined {
  return asObject(asObject(body)?.batch);
}

/** The requests a creation gives inline (`batch.inputConfig.requests.requests[].request`): generateContent or embedContent bodies. */
export function geminiBatchRequests(body: unknown): JsonObject[] {
  const requests = asArray(dig(batchOf(body), 'inputConfig', 'requests', 'requests')) ?? [];
  return requests.flatMap((r) => {
    const request = asObject(asObject(r)?.request);
    return request ? [request] : [];
  });
}

/** The uploaded file a creation reads its requests from (`batch.inputConfig.fileName`, or `file_name` as the SDK sends it for embeddings). */
export function geminiBatchFile(body: unknown): string | undefined {
  const input = asObject(batchOf(body)?.inputConfig);
  return asText(input?.fileName) ?? asText(input?.file_name);
}

/** The explicit caches a creation's inline requests name. */
export function geminiBatchCaches(body: unknown): string[] {
  return [...new Set(geminiBatchRequests(body).flatMap((r) => cachedContentName(r) ?? []))];
}

/** The path one of a batch's requests would take sent alone: an embedding (`content`) to `:embedContent`, else `:generateContent`. */
export function requestPath(model: string, request: JsonObject): string {
  const method = request.content !== undefined && request.contents === undefined ? 'embedContent' : 'generateContent';
  const name = model.startsWith('tunedModels/') ? `tunedModels/${encodeURIComponent(model.slice('tunedModels/'.length))}` : `models/${encodeURIComponent(model)}`;
  return `/v1beta/${name}:${method}`;
}

/**
 * The tap for a 2xx answer of the Batch API's own requests: nothing to meter. The answer to a
 * creation gives the row the batch's name (`response_id`), on which it waits until the batch's
 * results are billed. A batch looked up (`GET /v1beta/batches/{id}`) and found ended with its
 * results inline hands them on (`batch`), each succeeded one billed on a row of its own
 * (metering/batch-results.ts); results written to a file are read by the sweep, and the file is the
 * batch owner's (`batchFiles`). Lists, cancels and deletes are read as any free answer.
 */
export function geminiBatchTap(route: RouteMatch): ResponseTap {
  const creates = route.method === 'POST' && route.resourceId === undefined;
  const id = route.method === 'GET' ? route.resourceId : undefined;
  if (!creates && id === undefined) return freeBodyTap();
  return bufferBody((text, complete) => {
    const value = text === undefined ? undefined : parseJson(text);
    const m = nothingMetered(complete, errorFromValue(value));
    const op = asObject(value);
    const name = asText(op?.name);
    if (!complete || op === undefined || name === undefined) return m;
    if (creates) return withResponseId(m, name.startsWith('batches/') ? name : undefined);
    if (name !== id) return m;
    const batch = readGeminiBatch(op);
    if (batch.responsesFile !== undefined) m.batchFiles = [batch.responsesFile];
    if (batch.ended && batch.results !== undefined) m.batch = { batchId: id, api: 'gemini.batch_request', results: batch.results, complete: true };
    return m;
  });
}

import type { Api } from '../../core/api.js';
import { batchResultsTap } from '../shared/batch-results-tap.js';
import { type JsonObject, asObject, asText, parseJson } from '../shared/json.js';
import { nothingMetered, withResponseId } from '../shared/metered.js';
import { bufferBody } from '../shared/taps.js';
import { errorFromValue } from '../shared/upstream-error.js';
import type { BatchResult, ResponseTap } from '../types.js';
import { readOpenaiObject } from './body.js';

/**
 * The tap for a 2xx answer of the Batch API's own requests (create, list, retrieve, cancel):
 * nothing to meter; the answer to a create gives the row the batch's id (`response_id`), on
 * which it waits until the batch's output is billed.
 */
export function batchObjectTap(creates: boolean): ResponseTap {
  return bufferBody((text, complete) => {
    const body = text === undefined ? undefined : parseJson(text);
    const m = nothingMetered(complete, errorFromValue(body));
    const batch = asObject(body);
    if (!complete || batch?.object !== 'batch') return m;
    const files = batchFiles(batch);
    if (files.length > 0) m.batchFiles = files;
    return creates ? withResponseId(m, asText(batch.id)) : m;
  });
}

/** The files a batch names as made for it: its output and its errors, once it has them. */
export function batchFiles(batch: JsonObject): string[] {
  const out: string[] = [];
  for (const f of [batch.output_file_id, batch.error_file_id]) if (typeof f === 'string' && f !== '') out.push(f);
  return out;
}

/** The tap for a file's content: a batch's output file is billed a row per succeeded request; any other file reads as none. */
export function outputFileTap(fileId: string): ResponseTap {
  return batchResultsTap(fileId, 'openai.batch_request', readOutputLine);
}

/** The API whose body a batch's request answered with, by the body's `object`. */
const BODY_API: Record<string, Api> = { response: 'openai.responses', list: 'openai.embeddings' };

/**
 * A line of a batch's output file (`{id, custom_id, response: {status_code, request_id, body}, error}`):
 * a succeeded request's usage, read as its endpoint's answer (a chat completion, a Response, an
 * embeddings list), at the batch tier (half price), the containers a Response's code ran in, and
 * what the provider keeps of the answer (storedOf); undefined for a failed request, a line of an
 * input file, or anything else.
 */
export function readOutputLine(line: string): BatchResult | undefined {
  // Other files (training data, an input file) are not parsed line by line to find nothing.
  if (!line.includes('"response"') || !line.includes('"custom_id"')) return undefined;
  const obj = asObject(parseJson(line));
  const customId = asText(obj?.custom_id);
  const response = asObject(obj?.response);
  const body = asObject(response?.body);
  if (customId === undefined || response?.status_code !== 200 || body === undefined) return undefined;
  const m = readOpenaiObject(BODY_API[asText(body.object) ?? ''] ?? 'openai.chat', body, true);
  const r: BatchResult = { customId, model: m.servedModel, usage: m.usage, serviceTier: 'batch' };
  if (m.containers !== undefined) r.containers = m.containers;
  const stored = storedOf(body, m.responseId, m.items);
  if (stored.length > 0) r.stored = stored;
  return r;
}

/**
 * What the provider keeps of a batch request's answer: a Response, unless its body says `store:
 * false`, and its output items; a chat completion, whether or not its request asked `store: true`,
 * which neither the answer nor its output line says (the input file, a second download of up to
 * 200 MB, would): one it did not keep is then answered by the provider's own 404.
 */
function storedOf(body: JsonObject, id: string | undefined, items: readonly string[] | undefined): string[] {
  if (id === undefined) return [];
  if (body.object === 'response') return body.store === false ? [] : [id, ...(items ?? [])];
  return body.object === 'chat.completion' ? [id] : [];
}

/**
 * A line of a batch's input file (`{custom_id, method, url, body}`): the API path the request
 * goes to, its body and its `custom_id`; undefined for anything else.
 */
export function readInputLine(line: string): { path: string; body: JsonObject; customId: string | undefined } | undefined {
  const obj = asObject(parseJson(line));
  const url = asText(obj?.url);
  const body = asObject(obj?.body);
  if (url === undefined || body === undefined) return undefined;
  const q = url.indexOf('?');
  return { path: q < 0 ? url : url.slice(0, q), body, customId: asText(obj?.custom_id) };
}

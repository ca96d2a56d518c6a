import { zeroUsage } from '../../core/usage.js';
import { type JsonObject, asObject, asText, parseJson } from '../shared/json.js';
import { nothingMetered, withResponseId, withToolCalls } from '../shared/metered.js';
import { MAX_BODY_COPY } from '../shared/taps.js';
import { errorFromValue } from '../shared/upstream-error.js';
import { batchResultsTap } from '../shared/batch-results-tap.js';
import type { BatchResult, ResponseTap } from '../types.js';
import { countToolUseBlocks } from './content.js';
import { fallbackModel } from './iterations.js';
import { anthropicUsage } from './usage.js';

/**
 * A `results_url` member and its URL, up to the API path it names: the URL points at the
 * provider (`https://api.anthropic.com/v1/messages/batches/{id}/results`), which a client
 * holding a Tollgate key cannot call, and which would bypass the gateway's billing.
 */
const RESULTS_URL = /("results_url"\s*:\s*")[^"]*?(\/v1\/messages\/batches\/[^"]*")/g;

/** Points every `results_url` of a Message Batch body (one batch, or a list of them) at `base`, the gateway. */
export function rewriteResultsUrls(text: string, base: string): string {
  return text.replace(RESULTS_URL, (_m, head: string, path: string) => `${head}${base}${path}`);
}

/**
 * The tap for a 2xx answer of Message Batches' own requests (create, retrieve, list, cancel,
 * delete): nothing to meter, but each `results_url` is rewritten to the gateway, so that the
 * SDK's `results()` downloads through it. The body (a batch, or a page of them) is held until it
 * ends; past MAX_BODY_COPY it is passed on as it came. The answer to a create gives the row the
 * batch's id (`response_id`): the row waits on it until the batch's results are billed.
 */
export function batchObjectTap(base: string | undefined, creates = false): ResponseTap {
  let parts: Buffer[] = [];
  let size = 0;
  let passing = base === undefined && !creates;
  return {
    push(chunk, emit) {
      if (passing) return emit(chunk);
      parts.push(chunk);
      size += chunk.length;
      if (size <= MAX_BODY_COPY) return;
      passing = true;
      emit(Buffer.concat(parts, size));
      parts = [];
    },
    finish(complete, emit) {
      if (passing) return nothingMetered(complete);
      const text = Buffer.concat(parts, size).toString('utf8');
      parts = [];
      // A body cut short is passed on as it came.
      emit(complete && base !== undefined ? Buffer.from(rewriteResultsUrls(text, base)) : Buffer.from(text));
      if (!complete) return nothingMetered(complete);
      const body = parseJson(text);
      const m = nothingMetered(complete, errorFromValue(body));
      const batch = asObject(body);
      return creates && batch?.type === 'message_batch' ? withResponseId(m, asText(batch.id)) : m;
    },
  };
}

/** The tap for a Message Batch's results: each succeeded result's usage, read as a Message's (see batchResultsTap). */
export function messageBatchResultsTap(batchId: string): ResponseTap {
  return batchResultsTap(batchId, 'anthropic.batch_message', readResultLine);
}

/** A succeeded result's usage, normalised as a Message's, and the container its code ran in; undefined for any other line. */
export function readResultLine(line: string): BatchResult | undefined {
  const obj = asObject(parseJson(line));
  const result = asObject(obj?.result);
  const customId = asText(obj?.custom_id);
  if (result?.type !== 'succeeded' || customId === undefined) return undefined;
  const message = asObject(result.message);
  const usage = asObject(message?.usage);
  const r: BatchResult = {
    customId,
    model: fallbackModel(usage) ?? asText(message?.model),
    usage: withToolCalls(usage === undefined ? zeroUsage() : anthropicUsage(usage), countToolUseBlocks(message?.content)),
    serviceTier: asText(usage?.service_tier) ?? 'batch',
  };
  const container = asText(asObject(message?.container)?.id);
  if (container !== undefined) r.containers = [container];
  return r;
}

/** The requests of a Message Batch's creation (`{requests: [{custom_id, params}]}`): each one's params, a Messages request. */
export function messageBatchParams(body: unknown): JsonObject[] {
  const requests = asObject(body)?.requests;
  if (!Array.isArray(requests)) return [];
  return requests.flatMap((r) => {
    const params = asObject(asObject(r)?.params);
    return params ? [params] : [];
  });
}

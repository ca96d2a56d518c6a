import { zeroUsage } from '../../core/usage.js';
import { asObject, asText, parseJson } from '../shared/json.js';
import { nothingMetered, withResponseId, withToolCalls } from '../shared/metered.js';
import { MAX_BODY_COPY } from '../shared/taps.js';
import { errorFromValue } from '../shared/upstream-error.js';
import type { BatchResult, ResponseTap } from '../types.js';
import { countToolUseBlocks } from './content.js';
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

/**
 * The tap for a Message Batch's results (JSONL, one result per line, possibly hundreds of MB):
 * each chunk goes to the client at once and unchanged, while the lines are read on the side,
 * one at a time (a line split across chunks is joined; no more than one line is ever held).
 * Each succeeded result's usage is kept (errored, canceled and expired ones are not billed)
 * for its own row (src/metering/batch-results.ts). A last line cut short is not read.
 */
export function batchResultsTap(batchId: string): ResponseTap {
  const results: BatchResult[] = [];
  const reader = new JsonlLines((line) => {
    const r = readResultLine(line);
    if (r !== undefined) results.push(r);
  });
  return {
    push(chunk, emit) {
      emit(chunk);
      reader.push(chunk);
    },
    finish(complete) {
      if (complete) reader.end();
      const m = nothingMetered(complete);
      m.batch = { batchId, results };
      return m;
    },
  };
}

/** Splits a byte stream into lines (LF; a CR before it is left to JSON, which reads it as whitespace), holding only the line in progress. */
export class JsonlLines {
  private pending: Buffer[] = [];
  private readonly onLine: (line: string) => void;

  constructor(onLine: (line: string) => void) {
    this.onLine = onLine;
  }

  push(chunk: Buffer): void {
    let from = 0;
    for (let nl = chunk.indexOf(0x0a); nl >= 0; nl = chunk.indexOf(0x0a, from)) {
      const piece = chunk.subarray(from, nl);
      if (this.pending.length === 0) this.line(piece);
      else {
        this.pending.push(piece);
        this.line(Buffer.concat(this.pending));
        this.pending = [];
      }
      from = nl + 1;
    }
    // Copied: the caller's chunk is not kept alive by a view into it.
    if (from < chunk.length) this.pending.push(Buffer.from(chunk.subarray(from)));
  }

  /** The stream ended: a last line without its newline is a line all the same. */
  end(): void {
    if (this.pending.length > 0) this.line(Buffer.concat(this.pending));
    this.pending = [];
  }

  private line(bytes: Buffer): void {
    const text = bytes.toString('utf8');
    if (text.trim() !== '') this.onLine(text);
  }
}

/** A succeeded result's usage, normalised as a Message's; undefined for any other line. */
export function readResultLine(line: string): BatchResult | undefined {
  const obj = asObject(parseJson(line));
  const result = asObject(obj?.result);
  const customId = asText(obj?.custom_id);
  if (result?.type !== 'succeeded' || customId === undefined) return undefined;
  const message = asObject(result.message);
  const usage = asObject(message?.usage);
  return {
    customId,
    model: asText(message?.model),
    usage: withToolCalls(usage === undefined ? zeroUsage() : anthropicUsage(usage), countToolUseBlocks(message?.content)),
    serviceTier: asText(usage?.service_tier) ?? 'batch',
  };
}

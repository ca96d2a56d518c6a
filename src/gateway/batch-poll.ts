import type { Dispatcher } from 'undici';
import { ANTHROPIC_VERSION } from '../providers/anthropic/credential.js';
import type { LedgerRow } from '../core/ledger-row.js';
import type { PollResult } from '../metering/deferred-usage-sweep.js';
import { readResultLine } from '../providers/anthropic/batches.js';
import { readOutputLine } from '../providers/openai/batches.js';
import { readGeminiBatch, readResponsesLine } from '../providers/gemini/batches.js';
import { ResultLines } from '../providers/shared/batch-results-tap.js';
import type { BatchResult, BatchResults } from '../providers/types.js';
import { askJson, askUpstream } from './ask-upstream.js';
import type { ProviderTable, UpstreamProvider } from './select-provider.js';
import type { LedgerStore } from '../storage/ports.js';
import { errorMessage } from '../core/errors.js';

export interface BatchPollDeps {
  agent: Dispatcher;
  providers: ProviderTable;
  /** Bills an ended batch's succeeded results for the row that created it (BatchResultRows.ended). */
  ended: (creation: LedgerRow, batch: BatchResults) => Promise<void>;
  /** How long asking about a batch may take (30 s). */
  timeoutMs?: number;
}

/** How long a results download may take: a batch's results can run to hundreds of MB. */
const RESULTS_TIMEOUT_MS = 10 * 60_000;

/** An OpenAI batch still at work; any other status (completed, failed, expired, cancelled) is final. */
const OPENAI_RUNNING = new Set(['validating', 'in_progress', 'finalizing', 'cancelling']);

/**
 * Asks Anthropic (`GET /v1/messages/batches/{id}`) about the Message Batch a ledger row created,
 * with the key Tollgate holds for the provider that served it; once the batch has ended, reads
 * its results (JSONL, a line at a time, as the download tap does) and hands the succeeded ones
 * on to be billed. A batch is kept by the one account that made it, so it is never routed: the
 * row's provider is the one to ask.
 */
export function messageBatchPoller(d: BatchPollDeps): (row: LedgerRow) => Promise<PollResult> {
  return async (row) => {
    const provider = d.providers.byName(row.provider);
    if (provider?.apiKey === undefined) return { kind: 'no_key' };
    const headers = { 'anthropic-version': ANTHROPIC_VERSION, ...provider.headers, 'x-api-key': provider.apiKey };
    const url = `${provider.baseUrl}/v1/messages/batches/${encodeURIComponent(row.responseId!)}`;
    const batch = await askJson(d.agent, url, headers, d.timeoutMs);
    if (batch.kind !== 'json') return batch;
    if (batch.body.processing_status !== 'ended') return { kind: 'running' };
    return billResults(d, row, `${url}/results`, headers, { batchId: row.responseId!, api: 'anthropic.batch_message' }, readResultLine);
  };
}

/**
 * Asks OpenAI (`GET /v1/batches/{id}`) about the batch a ledger row created, likewise; once it
 * is done, reads its output file (`GET /v1/files/{output_file_id}/content`) and hands the
 * succeeded requests on to be billed. A batch that ended without an output file bills nothing.
 */
export function openaiBatchPoller(d: BatchPollDeps): (row: LedgerRow) => Promise<PollResult> {
  return async (row) => {
    const provider = d.providers.byName(row.provider);
    if (provider?.apiKey === undefined) return { kind: 'no_key' };
    const headers = { ...provider.headers, authorization: `Bearer ${provider.apiKey}` };
    const batch = await askJson(d.agent, `${provider.baseUrl}/v1/batches/${encodeURIComponent(row.responseId!)}`, headers, d.timeoutMs);
    if (batch.kind !== 'json') return batch;
    if (typeof batch.body.status !== 'string' || OPENAI_RUNNING.has(batch.body.status)) return { kind: 'running' };
    const output = typeof batch.body.output_file_id === 'string' && batch.body.output_file_id !== '' ? batch.body.output_file_id : undefined;
    if (output === undefined) return ended(d, row, { batchId: row.responseId!, api: 'openai.batch_request', results: [], complete: true });
    return billResults(d, row, fileContentUrl(provider, output), headers, { batchId: output, api: 'openai.batch_request' }, readOutputLine);
  };
}

const fileContentUrl = (p: UpstreamProvider, fileId: string) => `${p.baseUrl}/v1/files/${encodeURIComponent(fileId)}/content`;

/**
 * Asks Gemini (`GET /v1beta/batches/{id}`) about the batch a ledger row created, likewise; once it
 * has ended, bills its succeeded requests from its inline responses, or from the file they were
 * written to (`responsesFile`, JSON lines, downloaded from `/download/v1beta/files/{id}:download`
 * with the key Tollgate holds). A batch that ended without output bills nothing.
 */
export function geminiBatchPoller(d: BatchPollDeps): (row: LedgerRow) => Promise<PollResult> {
  return async (row) => {
    const provider = d.providers.byName(row.provider);
    if (provider?.apiKey === undefined) return { kind: 'no_key' };
    const headers = { ...provider.headers, 'x-goog-api-key': provider.apiKey };
    const name = row.responseId!;
    const path = resourcePath(name, 'batches');
    if (path === undefined) return { kind: 'unknown' };
    const asked = await askJson(d.agent, `${provider.baseUrl}/v1beta/${path}`, headers, d.timeoutMs);
    if (asked.kind !== 'json') return asked;
    const batch = readGeminiBatch(asked.body, row.modelRequested || undefined);
    if (!batch.ended) return { kind: 'running' };
    const of = { batchId: name, api: 'gemini.batch_request' as const };
    if (batch.results !== undefined || batch.responsesFile === undefined) return ended(d, row, { ...of, results: batch.results ?? [], complete: true });
    const file = resourcePath(batch.responsesFile, 'files');
    if (file === undefined) return { kind: 'failed', reason: `the batch names its responses file "${batch.responsesFile}", which is not a file's name` };
    let index = 0;
    return billResults(d, row, `${provider.baseUrl}/download/v1beta/${file}:download?alt=media`, headers, of, (line) => readResponsesLine(line, index++, batch.model));
  };
}

/** `batches/x` or `files/x` as a URL path, the id encoded; undefined for a name of another collection, or one whose id the URL would resolve away (`.`, `..`). */
function resourcePath(name: string, collection: 'batches' | 'files'): string | undefined {
  const id = name.startsWith(`${collection}/`) ? name.slice(collection.length + 1) : '';
  return id === '' || id === '.' || id === '..' || id.includes('/') ? undefined : `${collection}/${encodeURIComponent(id)}`;
}

/** Downloads a batch's results, reads them a line at a time, and hands the succeeded ones on. */
async function billResults(
  d: BatchPollDeps,
  row: LedgerRow,
  url: string,
  headers: Record<string, string>,
  of: Omit<BatchResults, 'results' | 'complete'>,
  readLine: (line: string) => BatchResult | undefined,
): Promise<PollResult> {
  const asked = await askUpstream(d.agent, url, headers, RESULTS_TIMEOUT_MS);
  if (asked.kind !== 'answer') return asked;
  const reader = new ResultLines(readLine);
  try {
    for await (const chunk of asked.body) reader.push(chunk as Buffer);
    reader.end();
  } catch (err) {
    return { kind: 'failed', reason: errorMessage(err) };
  }
  return ended(d, row, { ...of, results: reader.results, complete: true });
}

async function ended(d: BatchPollDeps, row: LedgerRow, batch: BatchResults): Promise<PollResult> {
  try {
    await d.ended(row, batch);
  } catch (err) {
    return { kind: 'failed', reason: errorMessage(err) };
  }
  return { kind: 'finished' };
}

/** Pending batches asked about per output file downloaded: the newest, where a finished batch's file is. */
const MAX_FILE_ASKS = 20;
const PAGE = 500;

/**
 * The row that created the OpenAI batch whose output file is `fileId`, when it was created through
 * the gateway and is not billed yet. An output file does not name its batch, so the provider's
 * pending batches (`GET /v1/batches/{id}`, with the key Tollgate holds) are asked about, newest
 * first, until one names the file. Undefined when none does (a batch created elsewhere).
 */
export function openaiBatchOfFile(d: Pick<BatchPollDeps, 'agent' | 'providers' | 'timeoutMs'> & { ledger: Pick<LedgerStore, 'pendingResponses'>; maxAgeMs: number }): (provider: string, fileId: string) => Promise<LedgerRow | undefined> {
  return async (name, fileId) => {
    const provider = d.providers.byName(name);
    if (provider?.apiKey === undefined) return undefined;
    const now = Date.now();
    const rows: LedgerRow[] = [];
    for (let after: { ts: number; id: string } | undefined; ; ) {
      const page = await d.ledger.pendingResponses({ api: 'openai.batches', from: now - d.maxAgeMs, to: now + 1, after, limit: PAGE });
      rows.push(...page.filter((r) => r.provider === name));
      if (page.length < PAGE) break;
      after = { ts: page[PAGE - 1]!.ts, id: page[PAGE - 1]!.id };
    }
    const headers = { ...provider.headers, authorization: `Bearer ${provider.apiKey}` };
    for (const row of rows.reverse().slice(0, MAX_FILE_ASKS)) {
      const batch = await askJson(d.agent, `${provider.baseUrl}/v1/batches/${encodeURIComponent(row.responseId!)}`, headers, d.timeoutMs);
      if (batch.kind === 'json' && batch.body.output_file_id === fileId) return row;
    }
    return undefined;
  };
}

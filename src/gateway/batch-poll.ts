import type { Dispatcher } from 'undici';
import type { LedgerRow } from '../core/ledger-row.js';
import type { PollResult } from '../metering/background-sweep.js';
import { JsonlLines, readResultLine } from '../providers/anthropic/batches.js';
import type { BatchResult } from '../providers/types.js';
import { askJson, askUpstream } from './ask-upstream.js';
import type { ProviderTable } from './select-provider.js';

export interface BatchPollDeps {
  agent: Dispatcher;
  providers: ProviderTable;
  /** Bills an ended batch's succeeded results for the row that created it (BatchResultRows.ended). */
  ended: (creation: LedgerRow, results: readonly BatchResult[]) => Promise<void>;
  /** How long asking about a batch may take (30 s). */
  timeoutMs?: number;
}

/** How long a results download may take: a batch's results can run to hundreds of MB. */
const RESULTS_TIMEOUT_MS = 10 * 60_000;

/** The version Tollgate's own calls to Anthropic ask for, unless the provider's configured headers name one. */
const ANTHROPIC_VERSION = '2023-06-01';

/**
 * Asks Anthropic (`GET /v1/messages/batches/{id}`) about the Message Batch a ledger row created,
 * with the key Tollgate holds for the provider that served it; once the batch has ended, reads
 * its results (JSONL, a line at a time, as the download tap does) and hands the succeeded ones
 * on to be billed. A batch is kept by the one account that made it, so it is never routed: the
 * row's provider is the one to ask.
 */
export function batchPoller(d: BatchPollDeps): (row: LedgerRow) => Promise<PollResult> {
  return async (row) => {
    const provider = d.providers.byName(row.provider);
    if (provider?.apiKey === undefined) return { kind: 'no_key' };
    const headers = { 'anthropic-version': ANTHROPIC_VERSION, ...provider.headers, 'x-api-key': provider.apiKey };
    const url = `${provider.baseUrl}/v1/messages/batches/${encodeURIComponent(row.responseId!)}`;
    const batch = await askJson(d.agent, url, headers, d.timeoutMs);
    if (batch.kind !== 'json') return batch;
    if (batch.body.processing_status !== 'ended') return { kind: 'running' };
    const asked = await askUpstream(d.agent, `${url}/results`, headers, RESULTS_TIMEOUT_MS);
    if (asked.kind !== 'answer') return asked;
    const results: BatchResult[] = [];
    const lines = new JsonlLines((line) => {
      const r = readResultLine(line);
      if (r !== undefined) results.push(r);
    });
    try {
      for await (const chunk of asked.body) lines.push(chunk as Buffer);
      lines.end();
      await d.ended(row, results);
    } catch (err) {
      return { kind: 'failed', reason: err instanceof Error ? err.message : String(err) };
    }
    return { kind: 'finished' };
  };
}

import { describe, expect, it } from 'vitest';
import type { LedgerRow } from '../core/ledger-row.js';
import type { Logger } from '../core/logger.js';
import { zeroUsage } from '../core/usage.js';
import type { SettledSpend } from '../policy/settled-spend.js';
import type { BatchResult } from '../providers/types.js';
import { BatchResultRows, batchResultId } from './batch-results.js';
import { type PriceRequest, type RequestFacts, newFacts } from './build-row.js';
import { sampleRow } from '../storage/testing/rows.js';

const result = (customId: string, input: number, output: number): BatchResult => ({ customId, model: 'claude-sonnet-5-5', serviceTier: 'batch', usage: { ...zeroUsage(), inputTokens: input, outputTokens: output } });

function download(results: BatchResult[], o: Partial<RequestFacts> = {}): RequestFacts {
  const f = newFacts('download-1', 1_700_000_000_000, 'anthropic.batch_results');
  Object.assign(f, { provider: 'anthropic', catalogProvider: 'anthropic', keyId: 'k1', user: 'alice', team: 'platform', project: 'p', tags: { env: 'prod' }, status: 200, ...o });
  f.batch = { batchId: 'msgbatch_1', api: 'anthropic.batch_message', results, complete: true };
  return f;
}

/** The row of the request that created batch msgbatch_1 through the gateway (bob's, in another team). */
const creation = sampleRow({ id: 'create-1', api: 'anthropic.batches', provider: 'anthropic', keyId: 'k2', user: 'bob', team: 'data', project: 'etl', tags: { workflow: 'nightly' }, usageSource: 'none', responseId: 'msgbatch_1', costPicos: 0n, inputTokens: 0, outputTokens: 0 });

function setup(o: { stored?: Set<string>; insertFails?: boolean; chargeFails?: boolean; created?: LedgerRow; committedByFlush?: LedgerRow; openaiBatchOf?: (provider: string, fileId: string) => Promise<LedgerRow | undefined>; madeFor?: (batchId: string, ids: readonly string[], api: string) => Promise<void> } = {}) {
  const stored = o.stored ?? new Set<string>();
  const calls = { inserted: [] as LedgerRow[][], charged: [] as SettledSpend[], priced: [] as PriceRequest[], observed: [] as LedgerRow[], logged: [] as string[], upserted: [] as LedgerRow[] };
  let pending = o.created;
  const log: Logger = { debug: () => undefined, info: () => undefined, warn: (m) => void calls.logged.push(`warn ${m}`), error: (m) => void calls.logged.push(`error ${m}`) };
  const rows = new BatchResultRows({
    ledger: {
      insertNew: (batch) => {
        if (o.insertFails) return Promise.reject(new Error('storage down'));
        calls.inserted.push([...batch]);
        const fresh = batch.filter((r) => !stored.has(r.id)).map((r) => r.id);
        for (const id of fresh) stored.add(id);
        return Promise.resolve(fresh);
      },
      pendingResponse: (id, api) => Promise.resolve(pending !== undefined && api === pending.api && pending.responseId === id ? pending : undefined),
      upsert: (batch, _remove, uo) => {
        const changed = batch.filter((r) => r.id === pending?.id && (uo?.replaceIf?.(pending) ?? true));
        calls.upserted.push(...changed);
        if (changed.length > 0) pending = undefined;
        return Promise.resolve(changed.length);
      },
    },
    catalogOf: (name) => (name === 'anthropic' ? 'anthropic' : name === 'gemini' ? 'google' : undefined),
    openaiBatchOf: o.openaiBatchOf,
    madeFor: o.madeFor,
    price: (r) => {
      calls.priced.push(r);
      const full = BigInt(r.usage.inputTokens + 10 * r.usage.outputTokens);
      return { costPicos: r.serviceTier === 'batch' ? full / 2n : full, unpriced: false };
    },
    charge: (s) => {
      calls.charged.push(s);
      return o.chargeFails ? Promise.reject(new Error('counters down')) : Promise.resolve();
    },
    observe: (row) => void calls.observed.push(row),
    // A row still in the writer's queue: storage has it once the writer is flushed.
    flush: () => {
      pending ??= o.committedByFlush;
      return Promise.resolve();
    },
    log,
  });
  return { rows, calls, stored };
}

describe('BatchResultRows', () => {
  it('ids are a UUID made from the batch id and custom_id alone', () => {
    const id = batchResultId('msgbatch_1', 'a');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(batchResultId('msgbatch_1', 'a')).toBe(id);
    expect(new Set([id, batchResultId('msgbatch_1', 'b'), batchResultId('msgbatch_2', 'a'), batchResultId('msgbatch_1a', ''), batchResultId('msgbatch_1', 'a\u0000')]).size).toBe(5);
  });

  it('records one row per succeeded result, priced at the batch tier and attributed to the downloader, off the request path; charges and counts each', async () => {
    const { rows, calls } = setup();
    rows.downloaded(download([result('a', 100, 10), result('b', 40, 2)]));
    expect(calls.inserted).toEqual([]);
    await rows.close();
    expect(calls.inserted).toHaveLength(1);
    const [a, b] = calls.inserted[0]!;
    expect(a).toMatchObject({
      id: batchResultId('msgbatch_1', 'a'), ts: 1_700_000_000_000, api: 'anthropic.batch_message', provider: 'anthropic', model: 'claude-sonnet-5-5', modelRequested: 'claude-sonnet-5-5',
      keyId: 'k1', user: 'alice', team: 'platform', project: 'p', tags: { env: 'prod', batch_id: 'msgbatch_1', custom_id: 'a' },
      inputTokens: 100, outputTokens: 10, usageSource: 'final', status: 200, outcome: 'ok', costPicos: 100n, source: 'gateway', serviceTier: 'batch',
    });
    expect(b).toMatchObject({ id: batchResultId('msgbatch_1', 'b'), costPicos: 30n, serviceTier: 'batch' });
    expect(calls.priced.map((p) => [p.catalogProvider, p.serviceTier])).toEqual([['anthropic', 'batch'], ['anthropic', 'batch']]);
    expect(calls.charged.map((c) => [c.id, c.cost, c.caller.user, c.model])).toEqual([[a!.id, 100n, 'alice', 'claude-sonnet-5-5'], [b!.id, 30n, 'alice', 'claude-sonnet-5-5']]);
    expect(calls.observed.map((r) => r.id)).toEqual([a!.id, b!.id]);
  });

  it('charges and counts only the rows it inserted: a result recorded before (another download, another replica) is not charged again', async () => {
    const { rows, calls } = setup({ stored: new Set([batchResultId('msgbatch_1', 'a')]) });
    rows.downloaded(download([result('a', 100, 10), result('b', 40, 2)]));
    rows.downloaded(download([result('a', 100, 10), result('b', 40, 2)]));
    await rows.close();
    expect(calls.charged.map((c) => c.id)).toEqual([batchResultId('msgbatch_1', 'b')]);
    expect(calls.observed.map((r) => r.id)).toEqual([batchResultId('msgbatch_1', 'b')]);
  });

  it('does nothing for a failed download or one with no succeeded results; storage and counter failures are logged, never thrown', async () => {
    const none = setup();
    none.rows.downloaded(download([], {}));
    none.rows.downloaded(download([result('a', 1, 1)], { status: 404 }));
    await none.rows.close();
    expect(none.calls.inserted).toEqual([]);
    const down = setup({ insertFails: true });
    down.rows.downloaded(download([result('a', 1, 1)]));
    await down.rows.close();
    expect(down.calls.logged).toEqual(['error could not record a batch’s results']);
    const counters = setup({ chargeFails: true });
    counters.rows.downloaded(download([result('a', 100, 10)]));
    await counters.rows.close();
    expect(counters.calls.logged).toEqual(['error could not add a batch result’s cost to its budgets; reconciliation will report the drift']);
  });

  it('finds a creation row still waiting in the writer s queue (a batch downloaded within the writer s interval): billed to its creator', async () => {
    const { rows, calls } = setup({ committedByFlush: creation });
    rows.downloaded(download([result('a', 100, 10)]));
    await rows.close();
    expect(calls.inserted[0]!.map((r) => r.user)).toEqual(['bob']);
    expect(calls.upserted).toMatchObject([{ id: 'create-1', usageSource: 'final' }]);
  });

  it('bills a batch created through the gateway to its creator, whoever downloads it, and marks the creation row billed', async () => {
    const { rows, calls } = setup({ created: creation });
    rows.downloaded(download([result('a', 100, 10)]));
    await rows.close();
    expect(calls.inserted[0]![0]).toMatchObject({ ts: 1_700_000_000_000, keyId: 'k2', user: 'bob', team: 'data', project: 'etl', tags: { workflow: 'nightly', batch_id: 'msgbatch_1', custom_id: 'a' }, costPicos: 100n });
    expect(calls.charged.map((c) => c.caller.user)).toEqual(['bob']);
    expect(calls.upserted).toEqual([{ ...creation, usageSource: 'final' }]);
  });

  it('a download cut short bills the results it delivered to the creator and leaves the batch to bill: the rest go to the creator too, not to the next downloader', async () => {
    const { rows, calls } = setup({ created: creation });
    const cut = download([result('a', 100, 10)]);
    cut.batch!.complete = false;
    rows.downloaded(cut);
    await rows.close();
    expect(calls.upserted).toEqual([]);
    // Another key downloads them all: the creation row is still found, the new results are bob's.
    rows.downloaded(download([result('a', 100, 10), result('b', 40, 2)], { keyId: 'k3', user: 'carol', team: 'web' }));
    await rows.close();
    expect(calls.inserted.flat().map((r) => [r.tags.custom_id, r.user])).toEqual([
      ['a', 'bob'],
      ['a', 'bob'],
      ['b', 'bob'],
    ]);
    expect(calls.charged.map((c) => [c.caller.user, c.cost])).toEqual([
      ['bob', 100n],
      ['bob', 30n],
    ]);
    expect(calls.upserted).toEqual([{ ...creation, usageSource: 'final' }]);
  });

  it('an OpenAI output file: billed to the batch’s creator when the provider names it as the file’s batch, tagged with both ids; else to the downloader', async () => {
    const created = { ...creation, api: 'openai.batches' as const, provider: 'openai', responseId: 'batch_1' };
    const asked: string[][] = [];
    const { rows, calls } = setup({
      created,
      openaiBatchOf: (provider, fileId) => {
        asked.push([provider, fileId]);
        return Promise.resolve(fileId === 'file-out' ? created : undefined);
      },
    });
    const output = (fileId: string) => {
      const f = download([result('a', 100, 10)], { provider: 'openai', api: 'openai.file_content' });
      f.batch = { batchId: fileId, api: 'openai.batch_request', results: [result('a', 100, 10)], complete: true };
      return f;
    };
    rows.downloaded(output('file-out'));
    await rows.close();
    expect(asked).toEqual([['openai', 'file-out']]);
    expect(calls.inserted[0]![0]).toMatchObject({ api: 'openai.batch_request', user: 'bob', team: 'data', tags: { workflow: 'nightly', output_file_id: 'file-out', batch_id: 'batch_1', custom_id: 'a' } });
    expect(calls.upserted.map((r) => [r.id, r.usageSource])).toEqual([['create-1', 'final']]);
    rows.downloaded(output('file-other'));
    await rows.close();
    expect(calls.inserted[1]![0]).toMatchObject({ user: 'alice', team: 'platform', tags: { output_file_id: 'file-other', custom_id: 'a' } });
    expect(calls.inserted[1]![0]!.tags).not.toHaveProperty('batch_id');
  });

  it('ended (the sweep): bills the results to the creation row’s caller now, and marks it billed; a storage failure is thrown for the sweep to retry', async () => {
    const { rows, calls } = setup({ created: creation });
    const before = Date.now();
    await rows.ended(creation, { batchId: 'msgbatch_1', api: 'anthropic.batch_message', results: [result('a', 100, 10), result('b', 40, 2)], complete: true });
    expect(calls.inserted[0]!.map((r) => [r.id, r.user, r.team, r.costPicos])).toEqual([
      [batchResultId('msgbatch_1', 'a'), 'bob', 'data', 100n],
      [batchResultId('msgbatch_1', 'b'), 'bob', 'data', 30n],
    ]);
    expect(calls.inserted[0]![0]!.ts).toBeGreaterThanOrEqual(before);
    expect(calls.priced.map((p) => p.catalogProvider)).toEqual(['anthropic', 'anthropic']);
    expect(calls.upserted.map((r) => [r.id, r.usageSource])).toEqual([['create-1', 'final']]);
    // A later download finds every result recorded: nothing more is charged.
    rows.downloaded(download([result('a', 100, 10), result('b', 40, 2)]));
    await rows.close();
    expect(calls.charged).toHaveLength(2);
    await expect(setup({ insertFails: true }).rows.ended(creation, { batchId: 'msgbatch_1', api: 'anthropic.batch_message', results: [result('a', 1, 1)], complete: true })).rejects.toThrow('storage down');
  });

  it('ended (the sweep): gives the containers the results name, and what the provider keeps of them, to the batch owner, after billing them; a failure to is logged, never thrown', async () => {
    const given: string[] = [];
    const withContainers = (customId: string, containers?: string[]): BatchResult => ({ ...result(customId, 1, 1), containers });
    const batch = { batchId: 'msgbatch_1', api: 'anthropic.batch_message' as const, results: [withContainers('a', ['container_1']), withContainers('b'), withContainers('c', ['container_1', 'container_2'])], complete: true };
    const { rows, calls } = setup({ created: creation, madeFor: (id, ids, api) => Promise.resolve(void given.push(`${id} ${api}: ${ids.join(' ')}`)) });
    await rows.ended(creation, batch);
    expect(given).toEqual(['msgbatch_1 anthropic.batch_message: container_1 container_2']);
    expect(calls.upserted).toHaveLength(1);
    // An OpenAI batch's stored Responses, their items and its chat completions, after its containers.
    given.length = 0;
    const stored = (customId: string, ids: string[], containers?: string[]): BatchResult => ({ ...withContainers(customId, containers), stored: ids });
    const openai = { batchId: 'file-out', api: 'openai.batch_request' as const, results: [stored('a', ['resp_1', 'msg_1'], ['cntr_1']), stored('b', ['chatcmpl-2'])], complete: true };
    await rows.ended({ ...creation, responseId: 'batch_1' }, openai);
    expect(given).toEqual(['batch_1 openai.batch_request: cntr_1 resp_1 chatcmpl-2 msg_1']);
    const failing = setup({ created: creation, madeFor: () => Promise.reject(new Error('storage down')) });
    await expect(failing.rows.ended(creation, batch)).resolves.toBeUndefined();
    expect(failing.calls.logged).toEqual(['warn could not record the containers and stored objects of a batch’s results; they are refused until made again']);
    // None named: not asked.
    const none = setup({ created: creation, madeFor: () => Promise.reject(new Error('not to be asked')) });
    await none.rows.ended(creation, { ...batch, results: [withContainers('a')] });
    expect(none.calls.logged).toEqual([]);
  });

  it('a Gemini batch looked up ended: billed to the row that created it (gemini.batches), tagged with its name and each request s position; a result without a count is unpriced', async () => {
    const created = sampleRow({ id: 'create-g', api: 'gemini.batches', provider: 'gemini', keyId: 'k2', user: 'bob', team: 'data', project: null, tags: {}, usageSource: 'none', responseId: 'batches/b1', costPicos: 0n, inputTokens: 0, outputTokens: 0 });
    const { rows, calls } = setup({ created });
    const f = download([], { id: 'lookup-1', api: 'gemini.batches', provider: 'gemini', catalogProvider: 'google' });
    const counted = { ...result('0', 100, 10), model: 'gemini-2.5-flash' };
    const uncounted: BatchResult = { customId: '2', model: 'gemini-2.5-flash', serviceTier: 'batch', usage: zeroUsage(), billedWithoutUsage: true };
    f.batch = { batchId: 'batches/b1', api: 'gemini.batch_request', results: [counted, uncounted], complete: true };
    rows.downloaded(f);
    await rows.close();
    expect(calls.inserted[0]).toMatchObject([
      { id: batchResultId('batches/b1', '0'), api: 'gemini.batch_request', provider: 'gemini', model: 'gemini-2.5-flash', keyId: 'k2', user: 'bob', team: 'data', tags: { batch_id: 'batches/b1', custom_id: '0' }, costPicos: 100n, unpriced: false, serviceTier: 'batch' },
      { id: batchResultId('batches/b1', '2'), costPicos: null, unpriced: true, tags: { batch_id: 'batches/b1', custom_id: '2' } },
    ]);
    expect(calls.priced.map((p) => [p.catalogProvider, p.serviceTier])).toEqual([['google', 'batch']]);
    expect(calls.upserted).toMatchObject([{ id: 'create-g', usageSource: 'final' }]);
  });

  it('writes a large batch a thousand rows at a time', async () => {
    const { rows, calls } = setup();
    rows.downloaded(download(Array.from({ length: 2500 }, (_, i) => result(`r${i}`, 1, 1))));
    await rows.close();
    expect(calls.inserted.map((b) => b.length)).toEqual([1000, 1000, 500]);
    expect(calls.charged).toHaveLength(2500);
  });
});

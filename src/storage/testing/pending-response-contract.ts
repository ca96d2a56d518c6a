import { expect, it } from 'vitest';
import type { AttemptRow, LedgerRow } from '../../core/ledger-row.js';
import type { Storage } from '../ports.js';
import { sampleRow } from './rows.js';

/** A background response's creation row as the gateway records it: queued, no usage, its response id. */
function created(o: Partial<LedgerRow> = {}): LedgerRow {
  return sampleRow({
    api: 'openai.responses', inputTokens: 0, cacheReadTokens: 0, outputTokens: 0, reasoningTokens: 0, costPicos: 0n, usageSource: 'none', responseId: 'resp_bg1', ...o,
  });
}

/** Background responses billed when looked up finished (pendingResponse, and upsert as it settles them). Call inside a describe(). */
export function pendingResponseContract(open: () => Promise<Storage>): void {
  it('finds the creation row of a response still without usage by its response id, and no other row', async () => {
    const s = await open();
    const row = created({ id: 'bg-create' });
    await s.ledger.insert([
      row,
      // A lookup row, a priced response, another source's and another API's row with the same id: none is pending.
      created({ id: 'lookup', api: 'openai.responses_lookup', responseId: null }),
      created({ id: 'billed', responseId: 'resp_billed', usageSource: 'final', inputTokens: 5, costPicos: 5n }),
      created({ id: 'imported', responseId: 'resp_imported', source: 'codex', upstreamRequestId: null }),
      created({ id: 'chat', api: 'openai.chat', responseId: 'resp_chat' }),
    ]);
    expect(await s.ledger.pendingResponse('resp_bg1')).toEqual(row);
    for (const id of ['resp_billed', 'resp_imported', 'resp_chat', 'resp_none']) expect(await s.ledger.pendingResponse(id)).toBeUndefined();
    await s.close();
  });

  it('lists such rows of a time window in (ts, id) order, page by page after a row, and no other row', async () => {
    const s = await open();
    const at = (id: string, ts: number, o: Partial<LedgerRow> = {}) => created({ id, ts, responseId: `resp_${id}`, ...o });
    await s.ledger.insert([
      at('c', 2000),
      at('a', 1000),
      at('b', 2000),
      at('late', 5000),
      at('early', 500),
      at('lookup', 1500, { api: 'openai.responses_lookup', responseId: null }),
      at('billed', 1500, { usageSource: 'final', inputTokens: 5, costPicos: 5n }),
      at('imported', 1500, { source: 'codex', upstreamRequestId: null }),
      // Made with the client's own provider key: Tollgate cannot ask about it.
      at('passed', 1500, { keyId: 'fp_0123456789abcdef' }),
      at('anonymous', 3000, { keyId: null }),
    ]);
    const ids = async (q: Parameters<typeof s.ledger.pendingResponses>[0]) => (await s.ledger.pendingResponses(q)).map((r) => r.id);
    expect(await ids({ api: 'openai.responses', from: 1000, to: 5000, limit: 10 })).toEqual(['a', 'b', 'c', 'anonymous']);
    expect(await ids({ api: 'openai.responses', from: 1000, to: 5000, limit: 2 })).toEqual(['a', 'b']);
    expect(await ids({ api: 'openai.responses', from: 1000, to: 5000, after: { ts: 2000, id: 'b' }, limit: 2 })).toEqual(['c', 'anonymous']);
    expect((await s.ledger.pendingResponses({ api: 'openai.responses', from: 0, to: 1001, limit: 5 }))[1]).toEqual(at('a', 1000));
    await s.close();
  });

  it('settles it once: the row carries the usage and cost, the rollups follow, and it is pending no more, even with two settling at once', async () => {
    const s = await open();
    const row = created({ id: 'bg-settle' });
    await s.ledger.insert([row]);
    const settled: LedgerRow = { ...row, inputTokens: 300, outputTokens: 80, usageSource: 'final', costPicos: 1100n };
    // Two replicas finishing the same response at once: exactly one of them changed the row.
    const counts = await Promise.all([s.ledger.upsert([settled]), s.ledger.upsert([{ ...settled }])]);
    expect(counts.sort()).toEqual([0, 1]);
    expect(await s.ledger.upsert([settled])).toBe(0);
    expect(await s.ledger.get('bg-settle')).toEqual(settled);
    expect(await s.ledger.pendingResponse('resp_bg1')).toBeUndefined();
    const [total] = await s.ledger.aggregate({ by: [] });
    expect(total).toMatchObject({ requests: 1, inputTokens: 300, outputTokens: 80, costPicos: 1100n });
    await s.close();
  });

  it('replaces a row’s attempts when the row it writes carries them, and keeps them when it carries none', async () => {
    const s = await open();
    const attempt = (o: Partial<AttemptRow>): AttemptRow => ({
      requestId: 'bg-routed', n: 1, deployment: 'dep-a', provider: 'openai', model: 'gpt-5', status: 200, outcome: 'ok', errorType: null, delivered: true,
      inputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, cacheWrite1hTokens: 0, outputTokens: 0, reasoningTokens: 0, toolCalls: 0, usageSource: 'none', costPicos: 0n, startedAt: 1_700_000_000_000, latencyMs: 12, ...o,
    });
    const row = created({ id: 'bg-routed', attemptLog: [attempt({})] });
    await s.ledger.insert([row]);
    const billed = attempt({ inputTokens: 300, outputTokens: 80, usageSource: 'final', costPicos: 1100n });
    expect(await s.ledger.upsert([{ ...row, inputTokens: 300, outputTokens: 80, usageSource: 'final', costPicos: 1100n, attemptLog: [billed] }])).toBe(1);
    expect(await s.ledger.attempts('bg-routed')).toEqual([billed]);
    const { attemptLog: _, ...plain } = row;
    expect(await s.ledger.upsert([{ ...plain, latencyMs: 99 }])).toBe(1);
    expect(await s.ledger.attempts('bg-routed')).toEqual([billed]);
    await s.close();
  });

  it('with replaceIf, replaces only a stored row it accepts, even when two settle it at once with different contents, and inserts none', async () => {
    const s = await open();
    const row = created({ id: 'bg-guard' });
    await s.ledger.insert([row]);
    const pending = { replaceIf: (stored: LedgerRow) => stored.usageSource === 'none' };
    const settled = (cost: bigint): LedgerRow => ({ ...row, inputTokens: 300, outputTokens: 80, usageSource: 'final', costPicos: cost });
    // Priced differently (two replicas with other price tables): still one change, not a second replacement.
    const counts = await Promise.all([s.ledger.upsert([settled(1100n)], [], pending), s.ledger.upsert([settled(1200n)], [], pending)]);
    expect(counts.sort()).toEqual([0, 1]);
    const kept = await s.ledger.get('bg-guard');
    expect([1100n, 1200n]).toContain(kept!.costPicos);
    expect(await s.ledger.upsert([settled(1300n)], [], pending)).toBe(0);
    expect(await s.ledger.upsert([{ ...settled(5n), id: 'absent' }], [], pending)).toBe(0);
    expect(await s.ledger.get('absent')).toBeUndefined();
    const [total] = await s.ledger.aggregate({ by: [] });
    expect(total).toMatchObject({ requests: 1, inputTokens: 300, costPicos: kept!.costPicos });
    await s.close();
  });

  it('gives the tokens of the Responses row that created a response, in a window only, for a follow-up’s context', async () => {
    const s = await open();
    const at = (id: string, ts: number, o: Partial<LedgerRow> = {}) => created({ id, ts, responseId: 'resp_ctx', usageSource: 'final', inputTokens: 1200, outputTokens: 345, costPicos: 9n, ...o });
    await s.ledger.insert([
      at('ctx', 10_000),
      // Another API's, a lookup's, one still without usage, and another id's: not it.
      at('chat', 10_500, { api: 'openai.chat', inputTokens: 1 }),
      at('lookup', 10_600, { api: 'openai.responses_lookup', inputTokens: 2 }),
      at('pending', 10_700, { usageSource: 'none', inputTokens: 0, outputTokens: 0 }),
      at('other', 10_800, { responseId: 'resp_other', inputTokens: 3 }),
    ]);
    expect(await s.ledger.responseContext('resp_ctx', 9_000, 11_000)).toBe(1545);
    expect(await s.ledger.responseContext('resp_ctx', 10_001, 11_000)).toBeUndefined();
    expect(await s.ledger.responseContext('resp_none', 0, 20_000)).toBeUndefined();
    // A Gemini interaction's row, by the id `previous_interaction_id` names.
    await s.ledger.insert([at('ix', 10_900, { api: 'gemini.interactions', responseId: 'v1_ix', inputTokens: 700, outputTokens: 80 })]);
    expect(await s.ledger.responseContext('v1_ix', 9_000, 11_000)).toBe(780);
    await s.close();
  });

  it('gives the tokens a Gemini cache holds from its creation row, in a window only, for the requests that name it', async () => {
    const s = await open();
    const at = (id: string, ts: number, o: Partial<LedgerRow> = {}) => created({ id, ts, api: 'gemini.caches', responseId: 'cachedContents/c1', usageSource: 'final', inputTokens: 48_000, cacheWriteTokens: 48_000, costPicos: null, unpriced: true, ...o });
    await s.ledger.insert([
      at('cache', 10_000),
      // A request that used the cache, a lookup of it, a creation without usage, and another cache: not it.
      at('use', 10_500, { api: 'gemini.generate', inputTokens: 1, cacheWriteTokens: 0, costPicos: 1n, unpriced: false }),
      at('lookup', 10_600, { api: 'gemini.caches_lookup', inputTokens: 2 }),
      at('none', 10_700, { responseId: 'cachedContents/c2', usageSource: 'none', inputTokens: 0, cacheWriteTokens: 0 }),
      at('other', 10_800, { responseId: 'cachedContents/c3', inputTokens: 3 }),
    ]);
    expect(await s.ledger.geminiCacheTokens('cachedContents/c1', 9_000, 11_000)).toBe(48_000);
    expect(await s.ledger.geminiCacheTokens('cachedContents/c1', 10_001, 11_000)).toBeUndefined();
    expect(await s.ledger.geminiCacheTokens('cachedContents/c2', 0, 20_000)).toBeUndefined();
    await s.close();
  });
}

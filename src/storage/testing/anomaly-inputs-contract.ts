import { expect, it } from 'vitest';
import type { LedgerRow } from '../../core/ledger-row.js';
import type { Storage, TagCacheUse } from '../ports.js';
import { DAY_MS } from '../schema.js';
import { randomRows, rng, sampleRow } from './rows.js';

/**
 * What the anomaly detectors read from storage, the same on every adapter: what was written
 * since a cursor (rows written late), where the live scheduler stood, request points and
 * callers' failures. Part of storageContract.
 */
export function anomalyInputsContract(open: () => Promise<Storage>): void {
  it('reports what was written since a cursor once, as ts buckets: inserts, replacements and large batches, never rows from before', async () => {
    const s = await open();
    const t = Date.UTC(2026, 10, 20, 12);
    const q = { tsBefore: t + 3_600_000, bucketMs: 60_000 };
    await s.ledger.insert([sampleRow({ id: 'before', ts: t })]);
    const c0 = await s.ledger.arrivalCursor();
    expect(await s.ledger.arrivedSince(c0, q)).toEqual({ cursor: c0, buckets: [] });
    await s.ledger.insert([sampleRow({ id: 'a', ts: t + 5 * 60_000 + 59_999 }), sampleRow({ id: 'b', ts: t - 7 * 60_000 }), sampleRow({ id: 'late', ts: t + 2 * 3_600_000 })]);
    await s.ledger.insert([sampleRow({ id: 'before', ts: t })]); // already there: not written again
    const r1 = await s.ledger.arrivedSince(c0, q);
    expect(r1.buckets).toEqual([t - 7 * 60_000, t + 5 * 60_000]);
    expect(await s.ledger.arrivedSince(r1.cursor, q)).toEqual({ cursor: r1.cursor, buckets: [] });
    // A replaced row arrives again; an unchanged one and a removal do not.
    await s.ledger.upsert([sampleRow({ id: 'b', ts: t - 7 * 60_000, outputTokens: 5 }), sampleRow({ id: 'a', ts: t + 5 * 60_000 + 59_999 })], ['before']);
    const r2 = await s.ledger.arrivedSince(r1.cursor, q);
    expect(r2.buckets).toEqual([t - 7 * 60_000]);
    // A batch large enough to be written another way (SQLite: literal constants, deferred indexes).
    await s.ledger.insert(Array.from({ length: 200 }, (_, i) => sampleRow({ id: `many-${i}`, ts: t - 3_600_000 + i * 1000 })));
    const r3 = await s.ledger.arrivedSince(r2.cursor, q);
    expect(r3.buckets).toEqual([0, 1, 2, 3].map((m) => t - 3_600_000 + m * 60_000));
    expect((await s.ledger.arrivedSince(r2.cursor, { ...q, tsBefore: t - 3_600_000 + 60_000 })).buckets).toEqual([t - 3_600_000]);
    await s.close();
  });

  it('keeps where the anomaly scheduler stood: the last save wins, and a cursor ahead of the writes is not resumed from', async () => {
    const s = await open();
    expect(await s.ledger.watchCursor()).toBeUndefined();
    const c0 = await s.ledger.arrivalCursor();
    await s.ledger.saveWatchCursor({ cursor: c0, owed: '[]' }, 1);
    await s.ledger.insert([sampleRow({ id: 'w1' })]);
    const c1 = await s.ledger.arrivalCursor();
    await s.ledger.saveWatchCursor({ cursor: c1, owed: '[[60000,["spend_spike"]]]' }, 2);
    expect(await s.ledger.watchCursor()).toEqual({ cursor: c1, owed: '[[60000,["spend_spike"]]]' });
    // A replica whose pass ended later with an earlier cursor: it had judged the arrivals up to it.
    await s.ledger.saveWatchCursor({ cursor: c0, owed: '[]' }, 3);
    expect(await s.ledger.watchCursor()).toEqual({ cursor: c0, owed: '[]' });
    // From a database restored into another server, whose writes are numbered lower.
    await s.ledger.saveWatchCursor({ cursor: s.kind === 'sqlite' ? '900000000' : '900000000:900000000:', owed: '[]' }, 4);
    expect(await s.ledger.watchCursor()).toBeUndefined();
    await s.close();
  });

  it('reads request points of a window in time order, with the last turn hash', async () => {
    const s = await open();
    const rows = randomRows(80, 5).map((x, i) => ({ ...x, lastTurnHash: i % 3 === 0 ? null : `h${i % 4}`, attempts: 1 + (i % 3), status: i % 5 === 0 ? 429 : 200 }));
    await s.ledger.insert(rows);
    const since = Date.UTC(2026, 10, 18, 12);
    const until = Date.UTC(2026, 10, 20);
    const got = await s.ledger.requestPoints({ since, until });
    const want = rows
      .filter((x) => x.ts >= since && x.ts < until)
      .sort((a, b) => a.ts - b.ts || (a.id < b.id ? -1 : 1))
      .map((x) => ({
        id: x.id, ts: x.ts, sessionId: x.sessionId, keyId: x.keyId, user: x.user, client: x.client, model: x.model, status: x.status, outcome: x.outcome,
        attempts: x.attempts, inputTokens: x.inputTokens, outputTokens: x.outputTokens, toolCalls: x.toolCalls, costPicos: x.costPicos ?? 0n, lastTurnHash: x.lastTurnHash,
      }));
    expect(want.length).toBeGreaterThan(10);
    expect(got).toEqual(want);
    expect((await s.ledger.get(rows[1]!.id))?.lastTurnHash).toBe('h1');
    await s.close();
  });

  it('sums each caller\'s failures and retries, and keeps only repeated steps, exactly as the raw points give them', async () => {
    const s = await open();
    const r = rng(11);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
    const big = 10n ** 18n; // beyond 64 bits summed
    const rows = randomRows(400, 6).map((x) => ({
      ...x,
      keyId: pick(['key_a', 'key_b', '', null]),
      user: pick(['alice', '', null]),
      client: pick(['sdk', '', null]),
      sessionId: pick(['s1', 's2', '', null]),
      lastTurnHash: pick(['h1', 'h2', '', null]),
      toolCalls: pick([0, 1, 2]),
      outputTokens: pick([10, 20]),
      status: pick([200, 200, 429, 500, 502, 400, 402]),
      outcome: pick(['ok', 'ok', 'upstream_error', 'client_aborted', 'rejected'] as const),
      attempts: pick([1, 1, 2, 4]),
      costPicos: pick([null, 7n, big]),
    }));
    await s.ledger.insert(rows);
    const since = Date.UTC(2026, 10, 18, 12);
    const until = Date.UTC(2026, 10, 20);
    const inWindow = rows.filter((x) => x.ts >= since && x.ts < until).sort((a, b) => a.ts - b.ts || (a.id < b.id ? -1 : 1));
    const failed = (x: LedgerRow) => x.outcome !== 'rejected' && ((x.outcome !== 'ok' && x.outcome !== 'client_aborted') || x.status === 429 || x.status >= 500);
    const caller = (x: LedgerRow) => (x.keyId ? `key:${x.keyId}` : x.user ? `user:${x.user}` : `client:${x.client ?? 'unknown'}`);
    const want = new Map<string, { caller: string; requests: number; failed: number; retries: number; failedCostPicos: bigint; user?: string }>();
    const failedUsers = new Map<string, Set<string>>();
    for (const x of inWindow) {
      const c = want.get(caller(x)) ?? { caller: caller(x), requests: 0, failed: 0, retries: 0, failedCostPicos: 0n };
      want.set(c.caller, c);
      c.requests++;
      c.retries += x.attempts - 1;
      if (failed(x)) {
        c.failed++;
        c.failedCostPicos += x.costPicos ?? 0n;
        if (x.user) failedUsers.set(c.caller, (failedUsers.get(c.caller) ?? new Set()).add(x.user));
      }
    }
    for (const [who, names] of failedUsers) if (names.size === 1) want.get(who)!.user = [...names][0]!;
    const got = await s.ledger.callerTotals({ since, until });
    expect(new Set(got.map((c) => c.caller))).toEqual(new Set(['key:key_a', 'key:key_b', 'user:alice', 'client:sdk', 'client:', 'client:unknown']));
    expect(new Map(got.map((c) => [c.caller, c]))).toEqual(want);
    expect(got.some((c) => c.failedCostPicos > big)).toBe(true);
    expect(await s.ledger.failedRequestIds({ since, until }, 'client:unknown', 3)).toEqual(inWindow.filter((x) => failed(x) && caller(x) === 'client:unknown').slice(0, 3).map((x) => x.id));

    const step = (x: LedgerRow) => (x.lastTurnHash ? `h:${x.lastTurnHash}` : x.toolCalls > 0 ? `t:${x.toolCalls}:${x.outputTokens}` : undefined);
    const count = new Map<string, number>();
    const stepKey = (x: LedgerRow) => (x.sessionId && step(x) ? `${x.sessionId}|${step(x)}` : undefined);
    for (const x of inWindow) if (stepKey(x)) count.set(stepKey(x)!, (count.get(stepKey(x)!) ?? 0) + 1);
    for (const n of [2, 12, 30]) {
      const repeated = inWindow.filter((x) => stepKey(x) && count.get(stepKey(x)!)! >= n).map((x) => x.id);
      expect((await s.ledger.repeatedSteps({ since, until }, n)).map((p) => p.id)).toEqual(repeated);
    }
    const some = await s.ledger.repeatedSteps({ since, until }, 12);
    expect(some.length).toBeGreaterThan(0);
    expect(some.length).toBeLessThan(inWindow.length);
    expect(some).toEqual((await s.ledger.requestPoints({ since, until })).filter((p) => some.some((q) => q.id === p.id)));
    // More sessions with repeats than one read takes: the reads are merged back into time order.
    const later = Date.UTC(2026, 10, 25);
    const many = Array.from({ length: 1300 }, (_, i) => sampleRow({ id: `many-${i}`, ts: later + (i % 7) * 60_000 + i, sessionId: `m${i % 650}`, lastTurnHash: 'same' }));
    await s.ledger.insert(many);
    const manyIds = (await s.ledger.repeatedSteps({ since: later, until: later + DAY_MS }, 2)).map((p) => p.id);
    expect(manyIds).toEqual([...many].sort((a, b) => a.ts - b.ts).map((x) => x.id));
    await s.close();
  });

  it('sums the warm requests of a window, those following one of their session’s to the same model within the TTL, as the raw rows give them', async () => {
    const s = await open();
    const r = rng(23);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
    const t = Date.UTC(2026, 10, 20, 12);
    const ttl = 5 * 60_000;
    const rows: LedgerRow[] = Array.from({ length: 300 }, (_, i) =>
      sampleRow({
        id: `w-${i}`,
        ts: t + Math.floor(r() * 120) * 60_000 + pick([0, 0, 1]),
        sessionId: pick(['s1', 's2', 's3', 's4', 's5', 's6', '', null]),
        model: pick(['claude-sonnet-4-5', 'claude-haiku-4-5']),
        provider: pick(['anthropic', 'bedrock']),
        tags: pick<Record<string, string>>([{ workflow: 'review' }, { workflow: 'coder' }, {}]),
        inputTokens: Math.floor(r() * 100_000),
        cacheReadTokens: Math.floor(r() * 90_000),
        cacheWriteTokens: Math.floor(r() * 5000),
      }),
    );
    // At the edges: exactly the TTL after (warm), a millisecond more (cold), the same ts (the later id warm), another model (cold).
    const edge = (id: string, ts: number, model = 'claude-opus-4-5') => sampleRow({ id, ts, sessionId: 'edge', model, provider: 'anthropic', tags: { workflow: 'edge' }, inputTokens: 1000, cacheReadTokens: 900, cacheWriteTokens: 50 });
    const e0 = t + 40 * 60_000;
    rows.push(edge('e1', e0), edge('e2', e0 + ttl), edge('e3', e0 + 2 * ttl + 1), edge('e4', e0 + 2 * ttl + 1), edge('e5', e0 + 2 * ttl + 2, 'gpt-5'));
    await s.ledger.insert(rows);
    const since = t + 30 * 60_000;
    const until = t + 90 * 60_000;
    const sorted = [...rows].sort((a, b) => a.ts - b.ts || (a.id < b.id ? -1 : 1));
    const last = new Map<string, number>();
    const want = new Map<string, TagCacheUse>();
    const sessionsOf = new Map<string, Set<string>>();
    for (const x of sorted) {
      if (!x.sessionId) continue;
      const k = `${x.sessionId}|${x.model}`;
      const prev = last.get(k);
      last.set(k, x.ts);
      if (x.ts < since || x.ts >= until || prev === undefined || prev < x.ts - ttl) continue;
      const tag = x.tags.workflow ?? '';
      const g = `${tag}|${x.model}|${x.provider}`;
      const u = want.get(g) ?? { tag, model: x.model, provider: x.provider, requests: 0, inputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, sessions: 0 };
      want.set(g, u);
      const seen = sessionsOf.get(g) ?? new Set<string>();
      sessionsOf.set(g, seen.add(x.sessionId));
      u.sessions = seen.size;
      u.requests++;
      u.inputTokens += x.inputTokens;
      u.cacheReadTokens += x.cacheReadTokens;
      u.cacheWriteTokens += x.cacheWriteTokens;
    }
    const got = await s.ledger.warmCacheUse({ since, until }, { tag: 'workflow', ttlMs: ttl });
    expect(got.find((u) => u.tag === 'edge')).toEqual({ tag: 'edge', model: 'claude-opus-4-5', provider: 'anthropic', requests: 2, inputTokens: 2000, cacheReadTokens: 1800, cacheWriteTokens: 100, sessions: 1 });
    expect(new Set(got.map((u) => u.tag))).toEqual(new Set(['review', 'coder', '', 'edge']));
    expect(got.reduce((n, u) => n + u.requests, 0)).toBeLessThan(rows.filter((x) => x.ts >= since && x.ts < until && x.sessionId).length);
    expect(new Map(got.map((u) => [`${u.tag}|${u.model}|${u.provider}`, u]))).toEqual(want);
    // Several sessions per group, counted once each.
    expect(got.some((u) => u.sessions > 1 && u.sessions < u.requests)).toBe(true);
    await s.close();
  });
  it('sums the requests of one workflow per client and client version, its window alone', async () => {
    const s = await open();
    const t = Date.UTC(2026, 10, 20, 12);
    // A cost past 2^63 picodollars summed twice: the sum is read as quotient and remainder, never a 64-bit overflow.
    const COST = 5_000_000_000_000_000_123n;
    const row = (id: string, ts: number, client: string, tags: Record<string, string>, read: number, failed = false) =>
      sampleRow({ id, ts, client, tags, inputTokens: 1000, cacheReadTokens: read, outputTokens: 50, costPicos: COST, ...(failed ? { outcome: 'upstream_error' as const, status: 500 } : {}) });
    await s.ledger.insert([
      row('a', t, 'claude-code', { workflow: 'review', client_version: '2.1.197' }, 800),
      row('b', t + 1, 'claude-code', { workflow: 'review', client_version: '2.1.197' }, 700),
      row('c', t + 2, 'claude-code', { workflow: 'review', client_version: '2.1.198' }, 0, true),
      row('d', t + 3, 'codex', { workflow: 'review' }, 100),
      row('e', t + 4, 'claude-code', { workflow: 'other', client_version: '2.1.198' }, 0),
      row('f', t + 10, 'claude-code', { workflow: 'review', client_version: '2.1.198' }, 0),
    ]);
    const got = await s.ledger.releaseCacheUse({ since: t, until: t + 10 }, { tag: 'workflow', value: 'review' });
    expect(got).toEqual([
      { client: 'claude-code', version: '2.1.197', requests: 2, errors: 0, inputTokens: 2000, cacheReadTokens: 1500, outputTokens: 100, costPicos: 2n * COST },
      { client: 'claude-code', version: '2.1.198', requests: 1, errors: 1, inputTokens: 1000, cacheReadTokens: 0, outputTokens: 50, costPicos: COST },
      { client: 'codex', version: '', requests: 1, errors: 0, inputTokens: 1000, cacheReadTokens: 100, outputTokens: 50, costPicos: COST },
    ]);
    expect(await s.ledger.releaseCacheUse({ since: t, until: t + 10 }, { tag: 'workflow', value: 'none' })).toEqual([]);
    await s.close();
  });
}

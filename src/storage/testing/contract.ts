import { expect, it } from 'vitest';
import type { AttemptRow, CacheRow, Dimension, LedgerRow } from '../../core/ledger-row.js';
import { type AggregateRow, type Storage, type Totals } from '../ports.js';
import { CACHE_ROW_TAGS, DAY_MS } from '../schema.js';
import { outcomeContract } from './outcome-contract.js';
import { alertOutboxContract } from './alert-outbox-contract.js';
import { objectOwnerContract } from './object-owner-contract.js';
import { insertNewContract } from './insert-new-contract.js';
import { roundTripContract } from './round-trip-contract.js';
import { pendingResponseContract } from './pending-response-contract.js';
import { anomalyInputsContract } from './anomaly-inputs-contract.js';
import { importContract } from './import-contract.js';
import { policyContract } from './policy-contract.js';
import { topShareContract } from './top-share-contract.js';
import { sessionHoursContract } from './session-hours-contract.js';
import { asMap, bruteForce, randomRows, rng, sampleRow } from './rows.js';

/** The behaviour every storage adapter must have. Call inside a describe(). */
export function storageContract(open: () => Promise<Storage>): void {
  it('inserts idempotently and reads rows back unchanged', async () => {
    const s = await open();
    const prefix = '{"v":1,"n":2,"b":[["s","0123456789abcdef",1200],["m","fedcba9876543210",3]],"bp":[[0,"default"]],"e":1203}';
    const row = sampleRow({ tags: { workflow: 'review' }, costPicos: 123_456_789_012_345n, ttftMs: 42, stream: true, pool: 'platform-pool', prefix });
    expect(await s.ledger.insert([row])).toBe(1);
    expect(await s.ledger.insert([row])).toBe(0);
    expect(await s.ledger.get(row.id)).toEqual(row);
    const agg = await s.ledger.aggregate({ by: [] });
    expect(agg).toHaveLength(1);
    expect(agg[0]!.requests).toBe(1);
    await s.close();
  });

  it('keeps a row whose text holds U+0000, with U+FFFD in its place, and answers a ping', async () => {
    const s = await open();
    await s.ledger.ping();
    // A client can send a model name or tag with a NUL: Postgres refuses it, SQLite cuts the text there.
    const row = sampleRow({ id: 'nul', model: 'gpt\u0000x', modelRequested: 'gpt\u0000x', tags: { 'wf\u0000': 'a\u0000b' } });
    expect(await s.ledger.insert([row, sampleRow({ id: 'clean' })])).toBe(2);
    expect(await s.ledger.get('nul')).toEqual({ ...row, model: 'gpt\uFFFDx', modelRequested: 'gpt\uFFFDx', tags: { 'wf\uFFFD': 'a\uFFFDb' } });
    expect((await s.ledger.aggregate({ by: ['model'] })).map((g) => g.keys[0]).sort()).toEqual(['gpt-5', 'gpt\uFFFDx']);
    await s.close();
  });

  it('stores a request\'s attempts with its row, once, and reads them back in order', async () => {
    const s = await open();
    const attempt = (n: number, o: Partial<AttemptRow>): AttemptRow => ({
      requestId: 'with-attempts', n, deployment: 'dep-a', provider: 'openai', model: 'gpt-5', status: 429, outcome: 'upstream_error', errorType: 'rate_limit_error', delivered: false,
      inputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, cacheWrite1hTokens: 0, outputTokens: 0, reasoningTokens: 0, toolCalls: 0, usageSource: 'none', costPicos: 0n, startedAt: 1_700_000_000_000 + n, latencyMs: 12, ...o,
    });
    const log = [attempt(2, { deployment: 'dep-b', status: 200, outcome: 'ok', errorType: null, delivered: true, inputTokens: 10, outputTokens: 3, usageSource: 'final', costPicos: 2n ** 62n }), attempt(1, {})];
    const row = sampleRow({ id: 'with-attempts', attempts: 2, attemptLog: log });
    expect(await s.ledger.insert([row])).toBe(1);
    expect(await s.ledger.insert([{ ...row, attemptLog: [attempt(3, {})] }])).toBe(0);
    expect(await s.ledger.attempts('with-attempts')).toEqual([log[1], log[0]]);
    expect(await s.ledger.attempts('nothing')).toEqual([]);
    await s.close();
  });

  it('answers aggregates exactly like a scan of raw rows, for any window and grouping', async () => {
    const s = await open();
    const rows = randomRows(600, 7);
    await s.ledger.insert(rows.slice(0, 300));
    await s.ledger.insert(rows.slice(200)); // overlap: the 100 repeats must not count twice
    const r = rng(99);
    const groupings: Dimension[][] = [
      [], ['user'], ['model', 'provider'], ['day'], ['hour', 'team'], ['session'], ['tag:workflow'], ['tag:prompt_version', 'user'], ['session', 'tag:workflow'],
      ['pool'], ['pool', 'user'], ['user', 'pool', 'hour'], ['pool', 'tag:workflow'], ['session', 'pool'],
    ];
    const base = Date.UTC(2026, 10, 18);
    for (const by of groupings) {
      for (let i = 0; i < 4; i++) {
        const since = i === 0 ? undefined : base + Math.floor(r() * 2 * DAY_MS);
        const until = i === 3 ? undefined : (since ?? base) + Math.floor(r() * 2 * DAY_MS) + 1;
        const got = asMap(await s.ledger.aggregate({ by, since, until }));
        const want = bruteForce(rows, by, since, until);
        expect(got, `by=${by.join(',')} since=${since} until=${until}`).toEqual(want);
        const costs = asMap(await s.ledger.aggregate({ by, since, until, costOnly: true }));
        const brief = (m: Map<string, Totals>) => [...m].map(([k, t]) => [k, t.requests, t.costPicos]).sort((a, b) => String(a[0]).localeCompare(String(b[0])));
        expect(brief(costs), 'costOnly').toEqual(brief(want));
        const priced = (m: Map<string, Totals>) => [...m].map(([k, t]) => [k, t.requests, t.unpricedRequests, t.costPicos]).sort((a, b) => String(a[0]).localeCompare(String(b[0])));
        expect(priced(asMap(await s.ledger.aggregate({ by, since, until, costOnly: true, countUnpriced: true }))), 'costOnly, countUnpriced').toEqual(priced(want));
      }
    }
    await s.close();
  });

  it('answers from the daily, hourly and raw tiers together exactly like raw rows, after replacements and removals', async () => {
    const s = await open();
    const r = rng(1414);
    const start = Date.UTC(2026, 10, 10);
    // Ten days of rows, so that windows span whole days, whole hours and partial hours.
    let rows = randomRows(700, 14).map((row) => ({ ...row, ts: start + Math.floor(r() * 10 * DAY_MS) }));
    for (let i = 0; i < rows.length; i += 150) await s.ledger.insert(rows.slice(i, i + 150));
    // Replacements (some moved to another day) and removals are subtracted from both tiers.
    const replaced = rows.slice(0, 60).map((row, i) => ({ ...row, ts: i % 2 ? row.ts + 3 * DAY_MS + 17 * 60_000 : row.ts, costPicos: 7n + BigInt(i), unpriced: false }));
    const removed = rows.slice(60, 90).map((row) => row.id);
    await s.ledger.upsert(replaced, removed);
    rows = [...replaced, ...rows.slice(90)];
    const groupings: Dimension[][] = [[], ['day'], ['user', 'model'], ['session'], ['session', 'day'], ['session', 'model'], ['tag:workflow'], ['day', 'tag:prompt_version'], ['pool', 'user'], ['hour']];
    const brief = (m: Map<string, Totals>) => [...m].map(([k, t]) => [k, t.requests, t.costPicos]).sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    for (const by of groupings) {
      for (let i = 0; i < 6; i++) {
        // Mid-day and mid-hour starts, whole-day starts, and open ends.
        const since = i === 0 ? undefined : i === 1 ? start + 2 * DAY_MS : start + Math.floor(r() * 4 * DAY_MS);
        const until = i === 5 ? undefined : (since ?? start) + (i === 1 ? 5 * DAY_MS : Math.floor(r() * 6 * DAY_MS) + 1);
        const want = bruteForce(rows, by, since, until);
        expect(asMap(await s.ledger.aggregate({ by, since, until })), `by=${by.join(',')} since=${since} until=${until}`).toEqual(want);
        expect(brief(asMap(await s.ledger.aggregate({ by, since, until, costOnly: true }))), 'costOnly').toEqual(brief(want));
        const priced = (m: Map<string, Totals>) => [...m].map(([k, t]) => [k, t.requests, t.unpricedRequests, t.costPicos]).sort((a, b) => String(a[0]).localeCompare(String(b[0])));
        expect(priced(asMap(await s.ledger.aggregate({ by, since, until, costOnly: true, countUnpriced: true }))), 'costOnly, countUnpriced').toEqual(priced(want));
      }
    }
    await s.close();
  });

  it('sums costs beyond the 64-bit range exactly', async () => {
    const s = await open();
    const big = 4_000_000_000_000_000_000n; // $4M in picos; five of them overflow int64
    const rows = [1, 2, 3, 4, 5].map((i) => sampleRow({ id: `big-${i}`, ts: Date.UTC(2026, 10, 20, i), costPicos: big, pool: 'big-pool' }));
    await s.ledger.insert(rows);
    const [total] = await s.ledger.aggregate({ by: [] });
    expect(total!.costPicos).toBe(5n * big);
    expect(await s.ledger.aggregate({ by: ['pool'] })).toMatchObject([{ keys: ['big-pool'], costPicos: 5n * big }]);
    const edges = await s.ledger.aggregate({ by: [], since: Date.UTC(2026, 10, 20, 0, 30), until: Date.UTC(2026, 10, 20, 5, 30) });
    expect(edges[0]!.costPicos).toBe(5n * big);
    await s.close();
  });

  it('adds costs beyond the 64-bit range into one hourly rollup row and reads them back exactly', async () => {
    const s = await open();
    // Three $4M requests in one hour, one key and one session: the hour's cost passes int64.
    const big = 4_000_000_000_000_000_000n;
    const hour = Date.UTC(2026, 10, 20, 9);
    const rows = [1, 2, 3].map((i) => sampleRow({ id: `huge-${i}`, ts: hour + i * 60_000, costPicos: big + BigInt(i), tags: { workflow: 'huge' }, pool: 'big-pool' }));
    for (const r of rows) await s.ledger.insert([r]);
    const total = 3n * big + 6n;
    // By hour reads the hourly tier alone; the window of whole hours inside a day does too.
    expect((await s.ledger.aggregate({ by: ['hour'] })).map((r) => r.costPicos)).toEqual([total]);
    for (const by of [[], ['session'], ['tag:workflow'], ['pool']] satisfies Dimension[][]) {
      expect((await s.ledger.aggregate({ by, since: hour, until: hour + 3_600_000 })).map((r) => r.costPicos), by.join()).toEqual([total]);
    }
    expect(await s.ledger.topShare({ by: 'session', since: hour, until: hour + 3_600_000 })).toEqual({ groups: 1, top: 1, topCostPicos: total, costPicos: total });
    await s.close();
  });

  it('records the pool that paid, and reports who drew how much from each pool', async () => {
    const s = await open();
    const at = (h: number, m = 0) => Date.UTC(2026, 10, 20, h, m);
    const rows = [
      sampleRow({ id: 'p1', ts: at(9, 10), user: 'alice', pool: 'platform-pool', costPicos: 7_000_000_001n }),
      sampleRow({ id: 'p2', ts: at(10, 20), user: 'alice', pool: 'platform-pool', costPicos: 7_000_000_002n }),
      sampleRow({ id: 'p3', ts: at(11, 30), user: 'bob', pool: 'platform-pool', costPicos: 9_000_000_003n }),
      sampleRow({ id: 'p4', ts: at(11, 40), user: 'bob', pool: 'data-pool', costPicos: 5n }),
      sampleRow({ id: 'n1', ts: at(10, 50), user: 'alice', pool: null, costPicos: 3n }),
      sampleRow({ id: 'n2', ts: at(12, 5), user: 'carol', pool: null, costPicos: null, unpriced: true }),
    ];
    await s.ledger.insert(rows);
    expect((await s.ledger.get('p3'))?.pool).toBe('platform-pool');
    expect((await s.ledger.get('n1'))?.pool).toBeNull();
    const scanned: (string | null)[] = [];
    for await (const r of s.ledger.scan({})) scanned.push(r.pool);
    expect(scanned).toEqual(['platform-pool', 'platform-pool', null, 'platform-pool', 'data-pool', null]);

    const totals = (got: AggregateRow[]) => Object.fromEntries(got.map((r) => [r.keys.join('|'), [r.requests, r.costPicos]]));
    expect(totals(await s.ledger.aggregate({ by: ['pool'] }))).toEqual({
      'platform-pool': [3, 23_000_000_006n],
      'data-pool': [1, 5n],
      '': [2, 3n],
    });
    expect(totals(await s.ledger.aggregate({ by: ['pool', 'user'] }))).toEqual({
      'platform-pool|alice': [2, 14_000_000_003n],
      'platform-pool|bob': [1, 9_000_000_003n],
      'data-pool|bob': [1, 5n],
      '|alice': [1, 3n],
      '|carol': [1, 0n],
    });
    // Partial hours at both edges come from raw rows, the hour between from the pool rollup.
    expect(totals(await s.ledger.aggregate({ by: ['pool', 'user'], since: at(10, 30), until: at(12, 10) }))).toEqual({
      'platform-pool|bob': [1, 9_000_000_003n],
      'data-pool|bob': [1, 5n],
      '|alice': [1, 3n],
      '|carol': [1, 0n],
    });
    await s.close();
  });

  it('says when its earliest row is stamped, and nothing when empty', async () => {
    const s = await open();
    expect(await s.ledger.firstTs()).toBeUndefined();
    const rows = randomRows(40, 8);
    await s.ledger.insert(rows);
    expect(await s.ledger.firstTs()).toBe(Math.min(...rows.map((r) => r.ts)));
    await s.close();
  });

  it('scans rows in time order within a window', async () => {
    const s = await open();
    const rows = randomRows(50, 3);
    await s.ledger.insert(rows);
    const since = Date.UTC(2026, 10, 19);
    const got: LedgerRow[] = [];
    for await (const row of s.ledger.scan({ since })) got.push(row);
    const want = rows.filter((x) => x.ts >= since).sort((a, b) => a.ts - b.ts || (a.id < b.id ? -1 : 1));
    expect(got.map((x) => x.id)).toEqual(want.map((x) => x.id));
    await s.close();
  });

  it('reads the cache analyser\'s rows in order across batches and pages, and lets a reader stop early', async () => {
    const s = await open();
    const base = Date.UTC(2026, 10, 20);
    // Several rows share each timestamp, so that pages must also be ordered and cut by id.
    const rows = randomRows(4500, 9).map((r, i) => ({ ...r, id: `c${String((i * 7919) % 4500).padStart(5, '0')}`, ts: base + Math.floor(i / 3) * 1000, status: i % 11 === 0 ? 500 : 200 }));
    await s.ledger.insert(rows);
    const got: string[] = [];
    for await (const batch of s.ledger.cacheRows({ since: base })) got.push(...batch.map((r) => r.id));
    const want = rows.filter((r) => r.status < 400 && r.outcome === 'ok').sort((a, b) => a.ts - b.ts || (a.id < b.id ? -1 : 1)).map((r) => r.id);
    expect(got).toEqual(want);
    for await (const batch of s.ledger.cacheRows({ since: base })) {
      expect(batch.length).toBeGreaterThan(0);
      break;
    }
    await s.close();
  });

  it('reads the cache analyser\'s rows: the succeeded ones of a window, in time order, their fields as stored', async () => {
    const s = await open();
    const prefix = '{"v":1,"n":1,"b":[["s","0123456789abcdef",1200]],"bp":[],"e":1200}';
    const rows = randomRows(60, 4).map((r, i) => ({
      ...r,
      status: i % 7 === 0 ? 429 : 200,
      prefix: i % 2 ? prefix : null,
      ...(i % 5 === 0 ? { serviceTier: 'flex' } : {}),
      costPicos: i % 3 === 1 ? 9_007_199_254_740_993n + BigInt(i) : r.costPicos,
      tags: { ...r.tags, ...(i % 4 === 0 ? { cache: 'auto', workflow: `wf${i % 3}` } : {}), ...(i % 3 === 0 ? { client_version: `2.1.${i}` } : {}), other: 'not read' },
    }));
    await s.ledger.insert(rows);
    const since = Date.UTC(2026, 10, 19);
    const got: CacheRow[] = [];
    for await (const batch of s.ledger.cacheRows({ since })) got.push(...batch);
    const want = rows
      .filter((x) => x.ts >= since && x.status < 400 && x.outcome === 'ok')
      .sort((a, b) => a.ts - b.ts || (a.id < b.id ? -1 : 1))
      .map((r) => {
        const { id, ts, api, provider, model, keyId, sessionId, tags, status, outcome, inputTokens, cacheReadTokens, cacheWriteTokens, cacheWrite1hTokens, outputTokens, reasoningTokens, toolCalls, costPicos } = r;
        // Of the tags, only those the analyser reads.
        const read = Object.fromEntries([...CACHE_ROW_TAGS, 'client_version' as const].filter((t) => tags[t] !== undefined).map((t) => [t, tags[t]!]));
        const c: CacheRow = { id, ts, api, provider, model, keyId, sessionId, tags: read, status, outcome, inputTokens, cacheReadTokens, cacheWriteTokens, cacheWrite1hTokens, outputTokens, reasoningTokens, toolCalls, costPicos };
        if (r.prefix) c.prefix = r.prefix;
        if (r.serviceTier) c.serviceTier = r.serviceTier;
        return c;
      });
    expect(want.length).toBeGreaterThan(5);
    expect(got).toEqual(want);
    await s.close();
  });

  it('totals routing rules per rule and mode over a window, savings exact beyond 64 bits and negative ones included', async () => {
    const s = await open();
    const at = (h: number) => Date.UTC(2026, 10, 20, h, 30);
    const big = 4_000_000_000_000_000_000n;
    const rows = [
      ...[1, 2, 3, 4, 5].map((i) => sampleRow({ id: `e${i}`, ts: at(i), routeRule: 'small-to-haiku', routeMode: 'enforce', routeSavingPicos: big, costPicos: 10n })),
      sampleRow({ id: 's1', ts: at(2), routeRule: 'small-to-haiku', routeMode: 'shadow', routeSavingPicos: -7n, costPicos: 3n, outcome: 'upstream_error' }),
      sampleRow({ id: 's2', ts: at(3), routeRule: 'review-to-mini', routeMode: 'shadow', routeSavingPicos: 1_000_001n, costPicos: 4n, inputTokens: 11, outputTokens: 5 }),
      sampleRow({ id: 's3', ts: at(3), routeRule: 'review-to-mini', routeMode: 'shadow', routeSavingPicos: null, costPicos: null, unpriced: true, inputTokens: 1, outputTokens: 2 }),
      sampleRow({ id: 'plain', ts: at(3), costPicos: 99n }),
      sampleRow({ id: 'late', ts: at(9), routeRule: 'review-to-mini', routeMode: 'shadow', routeSavingPicos: 5n }),
    ];
    await s.ledger.insert(rows);
    expect(await s.ledger.get('s1')).toEqual(rows[5]);
    const got = await s.ledger.ruleTotals({ since: at(0), until: at(8) });
    const byKey = new Map(got.map((t) => [`${t.rule}/${t.mode}`, t]));
    expect(got).toHaveLength(3);
    expect(byKey.get('small-to-haiku/enforce')).toEqual({ rule: 'small-to-haiku', mode: 'enforce', requests: 5, errors: 0, unpricedRequests: 0, inputTokens: 5000, outputTokens: 500, costPicos: 50n, savingPicos: 5n * big });
    expect(byKey.get('small-to-haiku/shadow')).toMatchObject({ requests: 1, errors: 1, costPicos: 3n, savingPicos: -7n });
    expect(byKey.get('review-to-mini/shadow')).toEqual({ rule: 'review-to-mini', mode: 'shadow', requests: 2, errors: 0, unpricedRequests: 1, inputTokens: 12, outputTokens: 7, costPicos: 4n, savingPicos: 1_000_001n });
    expect((await s.ledger.ruleTotals({})).find((t) => t.rule === 'review-to-mini')?.requests).toBe(3);
    expect(await s.ledger.ruleTotals({ since: at(10) })).toEqual([]);
  });

  it('reads the requests past an input count, per group and exact counts, identical ones once with how many', async () => {
    const s = await open();
    const long = { inputTokens: 250_000, cacheReadTokens: 100_000, cacheWriteTokens: 50_000, cacheWrite1hTokens: 50_000, outputTokens: 900 };
    await s.ledger.insert([
      sampleRow({ id: 'l1', tags: { workflow: 'review' }, ...long }),
      sampleRow({ id: 'l2', tags: { workflow: 'review' }, ...long, ts: Date.UTC(2026, 10, 20, 12, 5) }),
      sampleRow({ id: 'l3', user: null, team: null, ...long, inputTokens: 130_000 }),
      sampleRow({ id: 'short', inputTokens: 128_000 }),
      sampleRow({ id: 'late', ...long, ts: Date.UTC(2026, 10, 21) }),
    ]);
    const got = await s.ledger.longRequests({ since: Date.UTC(2026, 10, 20), until: Date.UTC(2026, 10, 21) });
    expect(got.sort((a, b) => b.inputTokens - a.inputTokens)).toEqual([
      { keys: ['gpt-5', 'openai', 'alice', 'openai-sdk', 'review', 'platform'], requests: 2, ...long },
      { keys: ['gpt-5', 'openai', '', 'openai-sdk', '', ''], requests: 1, ...long, inputTokens: 130_000 },
    ]);
    await s.close();
  });

  it('sums the requests billed at a service tier per group and tier; standard ones and other windows are not read', async () => {
    const s = await open();
    const counts = { inputTokens: 1000, cacheReadTokens: 200, cacheWriteTokens: 50, cacheWrite1hTokens: 10, outputTokens: 100 };
    await s.ledger.insert([
      sampleRow({ id: 'f1', tags: { workflow: 'nightly' }, serviceTier: 'flex', ...counts }),
      sampleRow({ id: 'f2', tags: { workflow: 'nightly' }, serviceTier: 'flex', ...counts, inputTokens: 3000, ts: Date.UTC(2026, 10, 20, 18) }),
      sampleRow({ id: 'p1', user: null, team: null, serviceTier: 'priority', ...counts }),
      sampleRow({ id: 'std', tags: { workflow: 'nightly' }, ...counts }),
      sampleRow({ id: 'late', serviceTier: 'flex', ts: Date.UTC(2026, 10, 21) }),
    ]);
    const got = await s.ledger.tieredRequests({ since: Date.UTC(2026, 10, 20), until: Date.UTC(2026, 10, 21) });
    expect(got.sort((a, b) => a.tier.localeCompare(b.tier))).toEqual([
      { keys: ['gpt-5', 'openai', 'alice', 'openai-sdk', 'nightly', 'platform'], tier: 'flex', requests: 2, ...counts, inputTokens: 4000, cacheReadTokens: 400, cacheWriteTokens: 100, cacheWrite1hTokens: 20, outputTokens: 200 },
      { keys: ['gpt-5', 'openai', '', 'openai-sdk', '', ''], tier: 'priority', requests: 1, ...counts },
    ]);
    await s.close();
  });

  it('creates, finds, lists and revokes keys', async () => {
    const s = await open();
    const k = await s.keys.create({ id: 'key_a', hash: 'h1', prefix: 'tg_abcd', user: 'alice', team: 'platform', project: null, name: null, createdAt: 1000 });
    expect(k).toMatchObject({ id: 'key_a', user: 'alice', team: 'platform', revokedAt: null });
    expect(await s.keys.findByHash('h1')).toEqual(k);
    expect(await s.keys.findByHash('nope')).toBeUndefined();
    expect((await s.keys.list()).map((x) => x.id)).toEqual(['key_a']);
    expect((await s.keys.revoke('key_a', 2000))?.revokedAt).toBe(2000);
    expect((await s.keys.revoke('key_a', 3000))?.revokedAt).toBe(2000);
    expect(await s.keys.revoke('missing', 3000)).toBeUndefined();
    expect(await s.keys.list()).toEqual([]);
    expect(await s.keys.list({ includeRevoked: true })).toHaveLength(1);
    await s.close();
  });

  it('keeps when a key expires, and never for a key without one', async () => {
    const s = await open();
    const k = await s.keys.create({ id: 'key_x', hash: 'hx', prefix: 'tg_x', user: 'bob', team: null, project: null, name: null, createdAt: 1000, expiresAt: 1_900_000_000_000 });
    expect(k.expiresAt).toBe(1_900_000_000_000);
    expect((await s.keys.findByHash('hx'))?.expiresAt).toBe(1_900_000_000_000);
    const plain = await s.keys.create({ id: 'key_y', hash: 'hy', prefix: 'tg_y', user: 'bob', team: null, project: null, name: null, createdAt: 1001 });
    expect(plain.expiresAt).toBeNull();
    expect((await s.keys.list()).map((x) => [x.id, x.expiresAt])).toEqual([['key_x', 1_900_000_000_000], ['key_y', null]]);
    await s.close();
  });

  policyContract(open);
  outcomeContract(open);
  alertOutboxContract(open);
  objectOwnerContract(open);
  importContract(open);
  topShareContract(open);
  anomalyInputsContract(open);
  sessionHoursContract(open);
  pendingResponseContract(open);
  insertNewContract(open);
  roundTripContract(open);
}

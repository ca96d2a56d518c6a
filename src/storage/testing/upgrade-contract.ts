import { expect, it } from 'vitest';
import { type TypeMap, schemaV1 } from '../ddl.js';
import { SPAN_BACKFILL_DAYS } from '../rollup-ddl.js';
import { migrations } from '../migrations.js';
import { rollupUpsertSql } from '../rollup-sql.js';
import type { Storage } from '../ports.js';
import { measureValues, rollupDeltas } from '../rollup.js';
import type { Dimension } from '../../core/ledger-row.js';
import type { LedgerRow } from '../../core/ledger-row.js';
import { DAY_MS, HOUR_MS, REQUEST_COLUMNS, REQUEST_COLUMNS_V1, ROLLUP_COUNTS, ROLLUP_MEASURES, ROLLUP_MEASURES_V1, isDaily, rowValues } from '../schema.js';
import { sortedHours } from './session-hours-contract.js';
import { asMap, bruteForce, sampleRow } from './rows.js';

/** A database with nothing in it yet, reached below the storage port, and the way to open it with the current code. */
export interface BlankDatabase {
  types: TypeMap;
  param: (i: number) => string;
  /** Booleans as the engine stores them. */
  bool: (b: boolean) => unknown;
  exec(sql: string, params?: unknown[]): Promise<void>;
  /** Ends the raw connection. */
  close(): Promise<void>;
  /** Opens the same database through the storage port (which migrates it). */
  open(): Promise<Storage>;
}

/** The rollups a version before 15 wrote for `rows`: the hourly ones with the cost in one column, and the daily ones from version 14 (`daily`). */
/** The ledger's columns at versions 13 to 15: response_id (version 16, the last) came later. */
const V13_COLUMNS = REQUEST_COLUMNS.slice(0, REQUEST_COLUMNS.indexOf('response_id'));
/** The ledger's columns at versions 16 to 29: service_tier (version 30) came later. */
const V16_COLUMNS = REQUEST_COLUMNS.slice(0, REQUEST_COLUMNS.indexOf('service_tier'));

async function oldRollups(db: BlankDatabase, rows: LedgerRow[], daily: boolean): Promise<void> {
  for (const d of rollupDeltas(rows)) {
    if (isDaily(d.table)) {
      if (daily) await db.exec(rollupUpsertSql(d.table, db.param), [...d.key, ...measureValues(d.totals)]);
    } else await db.exec(rollupUpsertSql(d.table, db.param, ROLLUP_MEASURES_V1, false), [...d.key, ...measureValues(d.totals).slice(0, ROLLUP_COUNTS.length), d.totals.costPicos]);
  }
}

/** A blank database brought to `version` by the migrations of then. */
async function atVersion(db: BlankDatabase, version: number): Promise<void> {
  const params = (n: number) => Array.from({ length: n }, (_, i) => db.param(i + 1)).join(', ');
  await db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)');
  for (const m of migrations(db.types).filter((x) => x.version <= version)) {
    for (const sql of m.statements) await db.exec(sql);
    await db.exec(`INSERT INTO schema_migrations (version, applied_at) VALUES (${params(2)})`, [m.version, 1_000]);
  }
}

/** Databases made by earlier versions open with the current code. Call inside a describe(). */
export function upgradeContract(blank: () => Promise<BlankDatabase>): void {
  it('refuses a database a newer Tollgate has upgraded, saying which versions, rather than ignore what that one records', async () => {
    const db = await blank();
    const all = migrations(db.types);
    const known = all[all.length - 1]!.version;
    await atVersion(db, known);
    await db.exec(`INSERT INTO schema_migrations (version, applied_at) VALUES (${db.param(1)}, ${db.param(2)})`, [known + 1, 2_000]);
    await db.close();
    await expect(Promise.resolve().then(() => db.open())).rejects.toThrow(`the ledger's schema is version ${known + 1}, newer than this Tollgate's ${known}: a newer Tollgate has upgraded it. Upgrade this one`);
  });

  it('upgrades a version 1 database: old rows read back with no pool or routing rule, and reports by pool count them', async () => {
    const db = await blank();
    const params = (n: number) => Array.from({ length: n }, (_, i) => db.param(i + 1)).join(', ');
    // What version 1 of Tollgate created and wrote: its schema, a row and that row's rollups.
    await db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)');
    for (const sql of schemaV1(db.types)) await db.exec(sql);
    await db.exec(`INSERT INTO schema_migrations (version, applied_at) VALUES (${params(2)})`, [1, 1_000]);
    const old = sampleRow({ id: 'v1-row', tags: { workflow: 'review' }, costPicos: 2_025_000_000n });
    const values = rowValues(old, db.bool).slice(0, REQUEST_COLUMNS_V1.length);
    await db.exec(`INSERT INTO requests (${REQUEST_COLUMNS_V1.join(', ')}) VALUES (${params(values.length)})`, values);
    // Version 1 had only the hourly rollups: migration 14 fills the daily ones from them.
    await oldRollups(db, [old], false);
    await db.close();

    const s = await db.open();
    expect(await s.ledger.get('v1-row')).toEqual({ ...old, pool: null });
    const fresh = sampleRow({ id: 'v2-row', pool: 'platform-pool', costPicos: 7n, routeRule: 'small-to-haiku', routeMode: 'enforce', routeSavingPicos: 3n });
    expect(await s.ledger.insert([fresh])).toBe(1);
    const byPool = await s.ledger.aggregate({ by: ['pool', 'user'] });
    expect(byPool.map((r) => [r.keys, r.requests, r.costPicos])).toEqual(
      expect.arrayContaining([
        [['', 'alice'], 1, 2_025_000_000n],
        [['platform-pool', 'alice'], 1, 7n],
      ]),
    );
    expect(byPool).toHaveLength(2);
    expect(await s.ledger.ruleTotals({})).toEqual([expect.objectContaining({ rule: 'small-to-haiku', mode: 'enforce', requests: 1, savingPicos: 3n })]);
    expect(await s.policy.claimAlert('after-upgrade', 1)).toBe(true);
    await s.close();

    // Opening again finds nothing left to migrate.
    const again = await db.open();
    expect(await again.ledger.get('v2-row')).toEqual(fresh);
    await again.close();
  });

  it('fills the daily rollups from the hourly ones when it upgrades a version 13 database (migration 14)', async () => {
    const db = await blank();
    const params = (n: number) => Array.from({ length: n }, (_, i) => db.param(i + 1)).join(', ');
    await atVersion(db, 13);
    const day = Date.UTC(2026, 10, 20);
    const big = 4_000_000_000_000_000_000n; // three in a day pass the 64-bit range
    const rows = [0, 1, 2, 3, 4, 5, 6, 7, 8].map((i) =>
      sampleRow({
        id: `v13-${i}`,
        ts: day + (i % 3) * DAY_MS + i * 3_600_000 + 60_000 * i,
        user: i % 2 ? 'alice' : 'bob',
        sessionId: `s${i % 4}`,
        tags: i % 3 ? { workflow: `w${i % 2}` } : {},
        pool: i % 4 ? 'pool-a' : null,
        costPicos: i < 6 ? big + BigInt(i) : BigInt(i),
      }),
    );
    for (const r of rows) {
      await db.exec(`INSERT INTO requests (${V13_COLUMNS.join(', ')}) VALUES (${params(V13_COLUMNS.length)})`, rowValues(r, db.bool).slice(0, V13_COLUMNS.length));
      await oldRollups(db, [r], false);
    }
    await db.close();

    const s = await db.open();
    const groupings: Dimension[][] = [[], ['day'], ['user'], ['session'], ['tag:workflow'], ['pool', 'user']];
    for (const by of groupings) {
      for (const [since, until] of [[undefined, undefined], [day, day + 3 * DAY_MS], [day - DAY_MS, day + 2 * DAY_MS]] as const) {
        expect(asMap(await s.ledger.aggregate({ by, since, until })), `by=${by.join(',')} since=${since}`).toEqual(bruteForce(rows, by, since, until));
      }
    }
    await s.close();
  });

  it('splits the hourly rollups\' cost when it upgrades a version 14 database (migration 15), exactly, and adds past 64 bits after', async () => {
    const db = await blank();
    const params = (n: number) => Array.from({ length: n }, (_, i) => db.param(i + 1)).join(', ');
    await atVersion(db, 14);
    const hour = Date.UTC(2026, 10, 20, 9);
    // One hour's key holds nearly the 64-bit maximum; the others a remainder of picodollars.
    const near = 9_000_000_000_123_456_789n;
    const rows = [0, 1, 2, 3, 4, 5].map((i) =>
      sampleRow({ id: `v14-${i}`, ts: hour + i * 40 * 60_000, user: i % 2 ? 'alice' : 'bob', sessionId: `s${i % 2}`, tags: { workflow: 'w' }, pool: 'pool-a', costPicos: i === 0 ? near : 1_000_000n * BigInt(i) + 7n }),
    );
    for (const r of rows) {
      await db.exec(`INSERT INTO requests (${V13_COLUMNS.join(', ')}) VALUES (${params(V13_COLUMNS.length)})`, rowValues(r, db.bool).slice(0, V13_COLUMNS.length));
      await oldRollups(db, [r], true);
    }
    await db.close();

    const s = await db.open();
    const check = async (all: LedgerRow[]) => {
      for (const by of [['hour'], ['hour', 'session'], ['hour', 'tag:workflow'], ['hour', 'pool']] satisfies Dimension[][]) {
        expect(asMap(await s.ledger.aggregate({ by })), by.join()).toEqual(bruteForce(all, by));
        expect(asMap(await s.ledger.aggregate({ by, since: hour, until: hour + 3 * HOUR_MS })), by.join()).toEqual(bruteForce(all, by, hour, hour + 3 * HOUR_MS));
      }
    };
    await check(rows);
    // The same hour and key again: past the 64-bit range, which the single column could not hold.
    const more = sampleRow({ ...rows[0]!, id: 'v15-more', ts: hour + 60_000, costPicos: near });
    expect(await s.ledger.insert([more])).toBe(1);
    await check([...rows, more]);
    expect((await s.ledger.aggregate({ by: ['hour', 'user'], since: hour, until: hour + HOUR_MS })).find((r) => r.keys[1] === 'bob')!.costPicos).toBe(2n * near);
    await s.close();
  });

  it('gives the session-hours of the last 15 days their span when it upgrades a version 25 database (migration 26); older ones stay unknown, judged as whole hours', async () => {
    const db = await blank();
    const params = (n: number) => Array.from({ length: n }, (_, i) => db.param(i + 1)).join(', ');
    await atVersion(db, 25);
    const last = Date.UTC(2026, 10, 20, 9);
    const old = last - (SPAN_BACKFILL_DAYS * DAY_MS + HOUR_MS);
    const rows = [
      sampleRow({ id: 'r1', ts: last + 50 * 60_000 }),
      sampleRow({ id: 'r2', ts: last + 7 * 60_000, model: 'gpt-5-mini' }),
      sampleRow({ id: 'r3', ts: last - 3 * DAY_MS + 30 * 60_000, user: 'bob', sessionId: 's2' }),
      sampleRow({ id: 'r4', ts: old + 10 * 60_000 }),
      sampleRow({ id: 'r5', ts: old + 20 * 60_000 }),
      sampleRow({ id: 'r6', ts: last + 9 * 60_000, sessionId: null }),
    ];
    for (const r of rows) {
      await db.exec(`INSERT INTO requests (${V16_COLUMNS.join(', ')}) VALUES (${params(V16_COLUMNS.length)})`, rowValues(r, db.bool).slice(0, V16_COLUMNS.length));
      // As version 25 wrote them: no span.
      for (const d of rollupDeltas([r])) await db.exec(rollupUpsertSql(d.table, db.param, ROLLUP_MEASURES, false), [...d.key, ...measureValues(d.totals)]);
    }
    await db.close();

    const s = await db.open();
    const hour = (at: number, o: object) => ({ hour: at, sessionId: 's1', user: 'alice', keyId: 'key_1', inputTokens: 1000, outputTokens: 100, costPicos: 2_025_000_000n, ...o });
    const recent = [
      hour(last - 3 * DAY_MS, { sessionId: 's2', user: 'bob', firstTs: rows[2]!.ts, lastTs: rows[2]!.ts }),
      hour(last, { inputTokens: 2000, outputTokens: 200, costPicos: 4_050_000_000n, firstTs: rows[1]!.ts, lastTs: rows[0]!.ts }),
    ];
    expect(sortedHours(await s.ledger.sessionHours({ since: old, until: last + HOUR_MS }))).toEqual([hour(old, { inputTokens: 2000, outputTokens: 200, costPicos: 4_050_000_000n }), ...recent]);
    // Written from now on: a known span widens; an unknown one stays unknown (a span of the new rows alone would be too short).
    await s.ledger.insert([sampleRow({ id: 'n1', ts: last + 2 * 60_000 }), sampleRow({ id: 'n2', ts: old + 59 * 60_000 })]);
    const after = sortedHours(await s.ledger.sessionHours({ since: old, until: last + HOUR_MS }));
    expect(after[0]).toEqual(hour(old, { inputTokens: 3000, outputTokens: 300, costPicos: 6_075_000_000n }));
    expect(after[2]).toEqual({ ...recent[1], inputTokens: 3000, outputTokens: 300, costPicos: 6_075_000_000n, firstTs: last + 2 * 60_000 });
    await s.close();
  });

  it('adds the service tier when it upgrades a version 29 database (migration 30): old rows read back at the standard tier, new ones keep theirs', async () => {
    const db = await blank();
    const params = (n: number) => Array.from({ length: n }, (_, i) => db.param(i + 1)).join(', ');
    await atVersion(db, 29);
    const old = sampleRow({ id: 'v29-row', responseId: 'chatcmpl-1' });
    await db.exec(`INSERT INTO requests (${V16_COLUMNS.join(', ')}) VALUES (${params(V16_COLUMNS.length)})`, rowValues(old, db.bool).slice(0, V16_COLUMNS.length));
    for (const d of rollupDeltas([old])) await db.exec(rollupUpsertSql(d.table, db.param, ROLLUP_MEASURES, false), [...d.key, ...measureValues(d.totals)]);
    await db.close();

    const s = await db.open();
    const back = await s.ledger.get('v29-row');
    expect(back).toEqual(old);
    expect(back?.serviceTier).toBeUndefined();
    const flex = sampleRow({ id: 'v30-flex', serviceTier: 'flex', costPicos: 1_012_500_000n });
    const batch = sampleRow({ id: 'v30-batch', api: 'anthropic.batch_message', provider: 'anthropic', model: 'claude-opus-5-5', serviceTier: 'batch+us' });
    expect(await s.ledger.insert([flex, batch])).toBe(2);
    expect(await s.ledger.get('v30-flex')).toEqual(flex);
    expect(await s.ledger.get('v30-batch')).toEqual(batch);
    // What an export reads: every row, the old one at the standard tier.
    const tiers: Record<string, string | null> = {};
    for await (const r of s.ledger.scan({})) tiers[r.id] = r.serviceTier ?? null;
    expect(tiers).toEqual({ 'v29-row': null, 'v30-flex': 'flex', 'v30-batch': 'batch+us' });
    await s.close();
  });

  it('gives the objects made before version 31 their owners from the ledger when it upgrades a version 31 database (migration 32): the key of the successful row that made each, with that key own team', async () => {
    const db = await blank();
    const params = (n: number) => Array.from({ length: n }, (_, i) => db.param(i + 1)).join(', ');
    await atVersion(db, 31);
    for (const [id, team] of [['key_alice', 'platform'], ['key_bob', 'data'], ['key_solo', null]] as const) {
      await db.exec(`INSERT INTO api_keys (id, hash, prefix, team, created_at) VALUES (${params(5)})`, [id, `hash-${id}`, 'tg_', team, 1_000]);
    }
    const at = Date.UTC(2026, 10, 20);
    const made = (id: string, api: LedgerRow['api'], responseId: string, o: Partial<LedgerRow> = {}) => sampleRow({ id, api, responseId, ts: at, keyId: 'key_alice', team: 'named-by-header', ...o });
    const rows = [
      made('r1', 'openai.files', 'file-old'),
      made('r2', 'openai.responses', 'resp_old', { keyId: 'key_bob', team: 'data' }),
      made('r3', 'anthropic.batches', 'msgbatch_old', { keyId: 'key_solo', team: null }),
      made('r4', 'gemini.caches', 'cachedContents/anon', { keyId: null, team: null }),
      // The earliest row wins: a second one naming the same id (a retry answered again) does not change it.
      made('r5', 'openai.batches', 'batch_old', { ts: at + 1 }),
      made('r6', 'openai.batches', 'batch_old', { ts: at + 2, keyId: 'key_bob' }),
      // An owner recorded already stays.
      made('r7', 'anthropic.files', 'file_kept', { keyId: 'key_bob' }),
      // None of these made an object of Tollgate: a refused upload, a chat completion, a caller own provider key, an imported row.
      made('r8', 'openai.files', 'file-refused', { status: 400, outcome: 'upstream_error' }),
      made('r9', 'openai.chat', 'chatcmpl-1'),
      made('r10', 'openai.files', 'file-theirs', { keyId: 'fp_0123456789abcdef' }),
      made('r11', 'openai.responses', 'resp_imported', { source: 'codex' }),
    ];
    for (const r of rows) await db.exec(`INSERT INTO requests (${REQUEST_COLUMNS.join(', ')}) VALUES (${params(REQUEST_COLUMNS.length)})`, rowValues(r, db.bool));
    await db.exec(`INSERT INTO stored_objects (id, api, key_id, team, created_at) VALUES (${params(5)})`, ['file_kept', 'anthropic.files', 'key_alice', 'platform', at]);
    await db.close();

    const s = await db.open();
    try {
      const owners = await s.objects.owners(['file-old', 'resp_old', 'msgbatch_old', 'cachedContents/anon', 'batch_old', 'file_kept', 'file-refused', 'chatcmpl-1', 'file-theirs', 'resp_imported']);
      expect(owners).toEqual(
        new Map([
          ['file-old', { keyId: 'key_alice', team: 'platform' }],
          ['resp_old', { keyId: 'key_bob', team: 'data' }],
          ['msgbatch_old', { keyId: 'key_solo', team: null }],
          ['cachedContents/anon', { keyId: null, team: null }],
          ['batch_old', { keyId: 'key_alice', team: 'platform' }],
          ['file_kept', { keyId: 'key_alice', team: 'platform' }],
        ]),
      );
    } finally {
      await s.close();
    }
  });
}

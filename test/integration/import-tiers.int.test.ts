import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres } from '../../src/storage/postgres/postgres-storage.js';
import { openSqlite } from '../../src/storage/sqlite/sqlite-storage.js';
import { TEST_PG_URL, dropSchemas } from '../../src/storage/testing/postgres.js';
import { sampleRow } from '../../src/storage/testing/rows.js';
import { cliWithEnv as cli } from '../support/cli.js';

const work = mkdtempSync(join(tmpdir(), 'tollgate-import-tiers-'));

describe('tollgate export and import --format ledger, service tiers', () => {
  const schema = `tg_import_tiers_${process.pid}_${Date.now() % 100000}`;
  beforeAll(async () => {
    const c = new pg.Client({ connectionString: TEST_PG_URL });
    await c.connect();
    await c.query(`CREATE SCHEMA ${schema}`);
    await c.end();
  });
  afterAll(async () => {
    await dropSchemas([schema]);
    rmSync(work, { recursive: true, force: true });
  });

  it('keeps the service tier each row was priced at through export and import, SQLite to Postgres; an export from before the column loads at the standard tier', async () => {
    const db = join(work, 'tiers.db');
    const rows = [
      sampleRow({ id: 'tier-flex', serviceTier: 'flex', responseId: 'resp_flex', upstreamRequestId: 'req_tier_flex' }),
      sampleRow({ id: 'tier-batch', api: 'anthropic.batch_message', provider: 'anthropic', model: 'claude-opus-5-5', serviceTier: 'batch+us', upstreamRequestId: 'req_tier_batch' }),
      sampleRow({ id: 'tier-std', upstreamRequestId: 'req_tier_std' }),
    ];
    const s = openSqlite(db);
    await s.ledger.insert(rows);
    await s.close();
    for (const format of ['jsonl', 'csv']) {
      const file = join(work, `tiers.${format}`);
      expect((await cli(['export', '--db', db, '--since', '2000-01-01', '-o', file])).code).toBe(0);
      const [head, ...lines] = readFileSync(file, 'utf8').trim().split('\n');
      if (format === 'csv') expect([head!.split(',').at(-1), lines.map((l) => l.split(',').at(-1)).sort()]).toEqual(['service_tier', ['', 'batch+us', 'flex']]);
    }
    const file = join(work, 'tiers.jsonl');
    const config = join(work, 'pg-tiers.yaml');
    writeFileSync(config, `storage:\n  postgres: "${TEST_PG_URL}?options=-c%20search_path%3D${schema}"\n`);
    expect(JSON.parse((await cli(['import', '--format', 'ledger', file, '--config', config, '--json'])).out)).toMatchObject({ written: 3 });
    const old = join(work, 'tiers-old.jsonl');
    writeFileSync(old, readFileSync(file, 'utf8').replace(/,"service_tier":(null|"[^"]*")}/g, '}'));
    expect(readFileSync(old, 'utf8')).not.toContain('service_tier');
    const oldDb = join(work, 'tiers-old.db');
    expect(JSON.parse((await cli(['import', '--format', 'ledger', old, '--db', oldDb, '--json'])).out)).toMatchObject({ written: 3 });
    const to = await openPostgres({ url: TEST_PG_URL, schema });
    const fromOld = openSqlite(oldDb);
    try {
      for (const r of rows) {
        expect(await to.ledger.get(r.id)).toEqual(r);
        expect((await fromOld.ledger.get(r.id))?.serviceTier).toBeUndefined();
      }
    } finally {
      await to.close();
      await fromOld.close();
    }
  });
});

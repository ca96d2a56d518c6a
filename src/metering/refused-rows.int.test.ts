import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openPostgres } from '../storage/postgres/postgres-storage.js';
import { openSqlite } from '../storage/sqlite/sqlite-storage.js';
import { isStorageTrouble } from '../storage/storage-trouble.js';
import type { Storage } from '../storage/ports.js';
import { sampleRow } from '../storage/testing/rows.js';
import { LedgerWriter } from './ledger-writer.js';
import { REFUSED_FILE, RefusedRows } from './refused-rows.js';
import { toJsonLine } from '../reports/export.js';
import { Spool } from './spool.js';
import { TEST_PG_URL, dropSchemas } from '../storage/testing/postgres.js';

const schema = `tg_refused_${process.pid}`;

const backends: [string, () => Promise<Storage>][] = [
  ['SQLite', () => Promise.resolve(openSqlite(join(mkdtempSync(join(tmpdir(), 'tg-refused-db-')), 'ledger.db')))],
  ['Postgres', () => openPostgres({ url: TEST_PG_URL, schema, maxConnections: 2 })],
];

describe.each(backends)('a row %s refuses, through the ledger writer', (_name, open) => {
  it('is set aside in export format while the rows around it are committed, and the spool is done with', async () => {
    const storage = await open();
    const dir = mkdtempSync(join(tmpdir(), 'tg-refused-'));
    const refused = new RefusedRows(dir, toJsonLine);
    const w = new LedgerWriter(storage.ledger, new Spool(dir), { flushIntervalMs: 1, isStorageTrouble, setAside: (r) => refused.add(r) });
    // A cost past what a 64-bit integer column holds, even in the rollups: storage refuses the whole batch.
    const bad = sampleRow({ id: 'refused-1', costPicos: 2n ** 200n });
    const ids = Array.from({ length: 40 }, (_, i) => `ok-${i}`);
    for (const id of ids.slice(0, 25)) w.record(sampleRow({ id }));
    w.record(bad);
    for (const id of ids.slice(25)) w.record(sampleRow({ id }));
    await w.close();
    for (const id of ids) expect(await storage.ledger.get(id), id).toBeDefined();
    expect(await storage.ledger.get('refused-1')).toBeUndefined();
    const lines = readFileSync(join(dir, REFUSED_FILE), 'utf8').trim().split('\n');
    // The export's own line for the row (its cost, past what a row holds, is why storage refused it).
    expect(lines).toEqual([toJsonLine(bad).trimEnd()]);
    expect(readdirSync(dir)).toEqual([REFUSED_FILE]);
    expect(refused.count()).toBe(1);
    expect(new RefusedRows(mkdtempSync(join(tmpdir(), 'tg-none-')), toJsonLine).count()).toBe(0);
    await storage.close();
  });
});

afterAll(() => dropSchemas([schema]));

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createPricer, rateBook } from '../pricing/index.js';
import { type StorageSpec, openStorage } from '../storage/open.js';
import { TEST_PG_URL, dropSchemas } from '../storage/testing/postgres.js';
import { sampleRow } from '../storage/testing/rows.js';
import { evaluate } from './evaluate.js';
import { SeriesReader } from './inputs.js';
import { baselineRows, plantedRows } from './testing/ledger-seed.js';
import { defaultAnomalySettings } from './types.js';

const t0 = Date.UTC(2026, 10, 18, 14, 7, 30);
const CENT = 10_000_000_000n;
const schemas: string[] = [];
afterAll(() => dropSchemas(schemas));

describe.each(['sqlite', 'postgres'] as const)('the example requests of spend spikes and cache regressions (%s)', (kind) => {
  it('names the costliest requests of a spike and the uncached ones of a cache regression', async () => {
    let spec: StorageSpec;
    const dir = mkdtempSync(join(tmpdir(), 'tg-examples-'));
    if (kind === 'sqlite') spec = { kind, path: join(dir, 'ledger.db') };
    else {
      const schema = `tg_examples_${process.pid}_${Date.now() % 100000}`;
      schemas.push(schema);
      spec = { kind, url: TEST_PG_URL, schema };
    }
    const storage = await openStorage(spec);
    // Alice's $2 requests every 15 s from t0, with two dearer ones among them.
    const dear = [sampleRow({ id: 'dear-1', ts: t0 + 90_000, user: 'alice', team: 'platform', sessionId: 'alice-spike', keyId: 'key_alice', tags: { workflow: 'review' }, costPicos: 900n * CENT }), sampleRow({ id: 'dear-2', ts: t0 + 100_000, user: 'alice', team: 'platform', sessionId: 'alice-spike', keyId: 'key_alice', tags: { workflow: 'review' }, costPicos: 500n * CENT })];
    await storage.ledger.insert([...baselineRows(t0 - 8 * 86_400_000, t0), ...plantedRows(t0), ...dear]);
    const now = t0 + 5 * 60_000;
    const found = await evaluate(new SeriesReader(storage.ledger), now, { ...defaultAnomalySettings(), enabled: true }, rateBook(createPricer(), { openai: 'openai' }));
    const spike = found.find((d) => d.detector === 'spend_spike' && d.subject === 'user:alice')!;
    expect(spike.evidence.requestIds.slice(0, 2)).toEqual(['dear-1', 'dear-2']);
    expect(spike.evidence.requestIds).toHaveLength(5);
    const cache = found.find((d) => d.detector === 'cache_regression' && d.subject === 'workflow:nightly')!;
    expect(cache.evidence.requestIds).toHaveLength(5);
    expect(cache.evidence.requestIds.every((id) => id.startsWith('nightly-cold-'))).toBe(true);
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  });
});

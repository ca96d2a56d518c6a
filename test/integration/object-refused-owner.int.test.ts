import OpenAI, { NotFoundError } from 'openai';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { CreatedKey } from '../../src/identity/key-service.js';
import { openPostgres } from '../../src/storage/postgres/postgres-storage.js';
import { TEST_PG_URL, dropSchemas } from '../../src/storage/testing/postgres.js';
import { type Harness, startHarness } from '../support/harness.js';
import { refusedUnsent, teamKeys } from '../support/team-storage.js';

/**
 * A key refused another's object (the gateway's own 404, nothing sent upstream) leaves the object's
 * owner alone: only the provider's 404 says an object is gone. The gateway once read its own refusal
 * as the provider's, forgot the owner in memory, and had storage forget one recorded over five
 * minutes ago: a key of another team could take an object from its owner by asking for it, and the
 * owner's list left the object out while that removal was on its way.
 */
const schemas: string[] = [];
afterAll(() => dropSchemas(schemas));
const postgres = () => {
  const schema = `tg_refused_${process.pid}_${schemas.length}`;
  schemas.push(schema);
  return { schema, storage: () => openPostgres({ url: TEST_PG_URL, schema, maxConnections: 4 }) };
};

const ENGINES = [
  ['SQLite', () => ({ schema: undefined, storage: undefined })],
  ['Postgres', postgres],
] as const;

describe.each(ENGINES)('an object refused to a key of another team (%s)', (engine, open) => {
  let h: Harness | undefined;
  let held: pg.Client | undefined;
  afterEach(async () => {
    await held?.query('ROLLBACK').catch(() => undefined);
    await held?.end();
    held = undefined;
    await h?.close();
    h = undefined;
  });
  const openai = (key: CreatedKey) => new OpenAI({ apiKey: key.key, baseURL: `${h!.url}/v1`, maxRetries: 0 });
  const start = async () => {
    const e = open();
    h = await startHarness({ auth: { storedObjects: 'key' }, storage: e.storage });
    const provider = new OpenAI({ apiKey: 'sk-upstream', baseURL: `${h.fake.url}/v1`, maxRetries: 0 });
    return { ...(await teamKeys(h)), schema: e.schema, store: await provider.vectorStores.create({ name: 'ours' }) };
  };
  const listed = async (key: CreatedKey) => (await openai(key).vectorStores.list()).data.map((s) => s.id);

  it('keeps the owner of one given its team over five minutes ago, in memory and in storage', async () => {
    const { carol, bob, store } = await start();
    await h!.tollgate.storage.objects.add([{ id: store.id, api: 'openai.vector_stores', keyId: null, team: 'platform', createdAt: Date.now() - 10 * 60_000 }]);
    expect(await openai(carol).vectorStores.retrieve(store.id)).toMatchObject({ id: store.id });
    await refusedUnsent(h!, () => openai(bob).vectorStores.retrieve(store.id), NotFoundError);
    expect(await listed(carol)).toContain(store.id);
    expect(await openai(carol).vectorStores.retrieve(store.id)).toMatchObject({ id: store.id });
    expect(await h!.tollgate.storage.objects.owners([store.id])).toEqual(new Map([[store.id, { keyId: null, team: 'platform' }]]));
  });

  // Only Postgres can hold writes to the owners' table while reads go on (SQLite's writer is the one connection).
  if (engine === 'Postgres') it('lists one just given its team at once, while writes to storage wait', async () => {
    const { carol, bob, store, schema } = await start();
    await h!.tollgate.storage.objects.add([{ id: store.id, api: 'openai.vector_stores', keyId: null, team: 'platform', createdAt: Date.now() }]);
    expect(await openai(carol).vectorStores.retrieve(store.id)).toMatchObject({ id: store.id });
    // Writes to the owners' table wait (reads do not): a removal the refusal started would be under way while the list is read.
    held = new pg.Client({ connectionString: TEST_PG_URL });
    await held.connect();
    await held.query(`SET search_path TO ${schema}`);
    await held.query('BEGIN');
    await held.query('LOCK TABLE stored_objects IN EXCLUSIVE MODE');
    await refusedUnsent(h!, () => openai(bob).vectorStores.retrieve(store.id), NotFoundError);
    expect(await listed(carol)).toContain(store.id);
    expect(await listed(bob)).toEqual([]);
  });
});

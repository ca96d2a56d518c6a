import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI, { NotFoundError } from 'openai';
import { afterAll, describe, expect, it } from 'vitest';
import { openPostgres } from '../../src/storage/postgres/postgres-storage.js';
import { TEST_PG_URL, dropSchemas } from '../../src/storage/testing/postgres.js';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/index.js';
import { eventually } from '../support/harness.js';
import { type Served, serve, tollgate } from './cli.js';

// The built CLI's `objects assign`, `show` and `forget`, each its own process, beside a `tollgate serve`
// on the same ledger: the gateway lets a key's team use a vector store made at the provider before
// Tollgate once it is given to that team, and follows a change of owner made after it knew the first.
const schemas: string[] = [];
afterAll(() => dropSchemas(schemas));

const ledgers = [
  ['SQLite', () => Promise.resolve('storage: { sqlite: ./data/tollgate.db }')],
  [
    'Postgres',
    async () => {
      const schema = `tg_e2e_objects_${process.pid}`;
      schemas.push(schema);
      // The schema made (and migrated) here; the processes reach it by their connection's search_path.
      await (await openPostgres({ url: TEST_PG_URL, schema })).close();
      return `storage: { postgres: "${TEST_PG_URL}?options=-c%20search_path%3D${schema}" }`;
    },
  ],
] as const;

describe.each(ledgers)('tollgate objects through the built CLI (%s)', (_, ledger) => {
  let fake: FakeUpstream | undefined;
  let gw: Served | undefined;
  afterAll(async () => {
    await gw?.stop();
    await fake?.close();
  });

  it('gives a team a vector store made before Tollgate, which a running gateway then serves to its keys, and follows a forced change of owner', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-e2e-objects-'));
    fake = await startFakeUpstream();
    const config = join(dir, 'tollgate.yaml');
    writeFileSync(config, `${await ledger()}\nproviders:\n  - { name: openai, dialect: openai, base_url: "${fake.url}", api_key: sk-main, catalog: openai }\n`);
    const run = (...args: string[]) => tollgate([...args, '--config', config], { cwd: dir });
    const keyOf = async (user: string, team: string) => JSON.parse((await run('keys', 'create', '--user', user, '--team', team, '--json')).stdout) as { id: string; key: string };
    const [alice, bob] = [await keyOf('alice', 'platform'), await keyOf('bob', 'data')];
    gw = await serve(['--config', config], { cwd: dir, env: { TOLLGATE_ADMIN_TOKEN: '' } });
    const openai = (key: string) => new OpenAI({ apiKey: key, baseURL: `${gw!.url}/v1`, maxRetries: 0 });

    const store = await new OpenAI({ apiKey: 'sk-main', baseURL: `${fake.url}/v1`, maxRetries: 0 }).vectorStores.create({ name: 'kept since before Tollgate' });
    await expect(openai(alice.key).vectorStores.retrieve(store.id)).rejects.toBeInstanceOf(NotFoundError);
    expect(await run('objects', 'show', store.id)).toMatchObject({ code: 0, stdout: expect.stringContaining(`${store.id} (OpenAI vector store): no owner recorded.`) });

    expect(await run('objects', 'assign', 'not-an-id', '--team', 'platform')).toMatchObject({ code: 2, stderr: expect.stringContaining('"not-an-id" is not the id of an object whose owner Tollgate records') });
    const given = await run('objects', 'assign', store.id, '--team', 'platform');
    expect(given).toMatchObject({ code: 0, stdout: `Gave ${store.id} (OpenAI vector store) to team platform (every key of it).\nRunning gateways on this storage honour it within 2 seconds.\n` });
    expect(await openai(alice.key).vectorStores.retrieve(store.id)).toMatchObject({ id: store.id, name: 'kept since before Tollgate' });
    await expect(openai(bob.key).vectorStores.retrieve(store.id)).rejects.toBeInstanceOf(NotFoundError);

    expect(await run('objects', 'assign', store.id, '--key', bob.id)).toMatchObject({ code: 1, stderr: expect.stringContaining('--force replaces the owner') });
    expect(await run('objects', 'assign', store.id, '--key', bob.id, '--force')).toMatchObject({ code: 0 });
    await eventually(() => expect(openai(alice.key).vectorStores.retrieve(store.id)).rejects.toBeInstanceOf(NotFoundError), 5000);
    expect(await openai(bob.key).vectorStores.retrieve(store.id)).toMatchObject({ id: store.id });

    expect(await run('objects', 'forget', store.id)).toMatchObject({ code: 0 });
    await eventually(() => expect(openai(bob.key).vectorStores.retrieve(store.id)).rejects.toBeInstanceOf(NotFoundError), 5000);
    // Each change is in the audit log, with who made it.
    const audit = JSON.parse((await run('budgets', 'audit', '--json')).stdout) as { action: string; subject: string }[];
    expect(audit.filter((e) => e.subject === `object:${store.id}`).map((e) => e.action)).toEqual(['object.forget', 'object.assign', 'object.assign']);
  });
});

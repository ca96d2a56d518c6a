import { join } from 'node:path';
import { GoogleGenAI } from '@google/genai';
import OpenAI, { NotFoundError, toFile } from 'openai';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { CreatedKey } from '../../src/identity/key-service.js';
import type { StoredObjectsMode } from '../../src/identity/stored-objects.js';
import { openPostgres } from '../../src/storage/postgres/postgres-storage.js';
import { TEST_PG_URL, dropSchemas } from '../../src/storage/testing/postgres.js';
import { cliWithEnv } from '../support/cli.js';
import { type Harness, eventually, startHarness } from '../support/harness.js';
import { refusedUnsent, teamKeys } from '../support/team-storage.js';

/**
 * `tollgate objects assign|forget`, run beside a gateway on the same storage (SQLite or Postgres), as
 * an admin hands a team what its provider account held before Tollgate: objects made at the provider
 * directly, refused to every key until given an owner, then let in through the official SDK.
 */
const schemas: string[] = [];
afterAll(() => dropSchemas(schemas));
const engines = [
  ['SQLite', () => ({ storage: undefined, db: (h: Harness) => join(h.dir, 'tollgate.db') })],
  [
    'Postgres',
    () => {
      const schema = `tg_assign_${process.pid}_${schemas.length}`;
      schemas.push(schema);
      return { storage: () => openPostgres({ url: TEST_PG_URL, schema, maxConnections: 4 }), db: () => `${TEST_PG_URL}?options=-c%20search_path%3D${schema}` };
    },
  ],
] as const;

describe.each(engines)('objects an admin gives an owner (%s)', (_, engine) => {
  let h: Harness;
  let db: string;
  let carol: CreatedKey;
  let bob: CreatedKey;
  afterEach(() => h.close());
  const start = async (mode: StoredObjectsMode = 'team') => {
    const e = engine();
    h = await startHarness({ auth: { storedObjects: mode }, storage: e.storage });
    db = e.db(h);
    ({ carol, bob } = await teamKeys(h));
  };
  const openai = (key: CreatedKey) => new OpenAI({ apiKey: key.key, baseURL: `${h.url}/v1`, maxRetries: 0 });
  const provider = () => new OpenAI({ apiKey: 'sk-upstream', baseURL: `${h.fake.url}/v1`, maxRetries: 0 });
  const tollgate = (...args: string[]) => cliWithEnv(['objects', ...args, '--db', db]);
  const admin = (method: string, path: string, body?: unknown) =>
    fetch(`${h.url}/admin/v1/objects${path}`, { method, headers: { authorization: 'Bearer admin-secret', 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const refused = (ask: () => Promise<unknown>) => refusedUnsent(h, ask, NotFoundError);

  it('lets a team in to a vector store and a file made before Tollgate once the CLI gives them to it, and a running gateway follows a change of owner and a forget', async () => {
    await start();
    const store = await provider().vectorStores.create({ name: 'made before Tollgate' });
    const file = await provider().files.create({ file: await toFile(Buffer.from('notes'), 'notes.txt'), purpose: 'assistants' });
    await refused(() => openai(h.key).vectorStores.retrieve(store.id));
    await refused(() => openai(h.key).files.retrieve(file.id));

    const given = await tollgate('assign', store.id, file.id, '--team', 'platform');
    expect(given).toMatchObject({ code: 0, err: '' });
    expect(given.out).toContain(`Gave ${store.id} (OpenAI vector store) to team platform (every key of it).`);
    expect(await openai(h.key).vectorStores.retrieve(store.id)).toMatchObject({ id: store.id });
    expect(await openai(carol).files.retrieve(file.id)).toMatchObject({ id: file.id });
    await refused(() => openai(bob).vectorStores.retrieve(store.id));

    // Another owner is refused without --force, and nothing changes.
    const taken = await tollgate('assign', store.id, '--key', bob.id);
    expect(taken.code).toBe(1);
    expect(taken.err).toContain(`${store.id} is owned by team platform (every key of it). Nothing was changed: --force replaces the owner.`);
    expect(await openai(carol).vectorStores.retrieve(store.id)).toMatchObject({ id: store.id });
    expect(await tollgate('assign', store.id, '--key', bob.id, '--force')).toMatchObject({ code: 0 });
    // The gateway knew the store's owner: it reads it again within 2 s, and follows.
    await eventually(() => refused(() => openai(carol).vectorStores.retrieve(store.id)), 5000);
    expect(await openai(bob).vectorStores.retrieve(store.id)).toMatchObject({ id: store.id });
    const shown = await tollgate('show', store.id, '--json');
    expect(JSON.parse(shown.out)).toEqual([expect.objectContaining({ id: store.id, kind: 'vector store', owner: { key_id: bob.id, team: 'data' } })]);

    expect(await tollgate('forget', store.id)).toMatchObject({ code: 0 });
    await eventually(() => refused(() => openai(bob).vectorStores.retrieve(store.id)), 5000);
    expect(await tollgate('forget', store.id)).toMatchObject({ code: 1, err: expect.stringContaining(`no owner is recorded for ${store.id}`) });
  });

  it('takes a change through the admin API at once on the gateway that serves it', async () => {
    await start();
    const store = await provider().vectorStores.create({ name: 'old' });
    const res = await admin('POST', '/assign', { ids: [store.id], team: 'data' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ data: [expect.objectContaining({ id: store.id, owner: { key_id: null, team: 'data' }, previous: null, changed: true })] });
    expect(await openai(bob).vectorStores.retrieve(store.id)).toMatchObject({ id: store.id });
    const again = await admin('POST', '/assign', { ids: [store.id], key: h.key.id });
    expect(again.status).toBe(409);
    expect(await admin('POST', '/assign', { ids: [store.id], key: h.key.id, force: true })).toMatchObject({ status: 200 });
    // No wait for the refresh: this gateway was told.
    await refused(() => openai(bob).vectorStores.retrieve(store.id));
    expect(await openai(h.key).vectorStores.retrieve(store.id)).toMatchObject({ id: store.id });
    expect(await (await admin('GET', `/${store.id}`)).json()).toMatchObject({ id: store.id, owner: { key_id: h.key.id, team: 'platform' } });
    expect(await admin('DELETE', `/${store.id}`)).toMatchObject({ status: 200 });
    await refused(() => openai(h.key).vectorStores.retrieve(store.id));
    expect(await admin('GET', `/${store.id}`)).toMatchObject({ status: 404 });
  });

  it('under key: a key given an object alone may use it, a team given one every key of it', async () => {
    await start('key');
    const [mine, ours] = [await provider().vectorStores.create({ name: 'mine' }), await provider().vectorStores.create({ name: 'ours' })];
    expect(await tollgate('assign', mine.id, '--key', carol.id)).toMatchObject({ code: 0 });
    expect(await tollgate('assign', ours.id, '--team', 'platform')).toMatchObject({ code: 0 });
    expect(await openai(carol).vectorStores.retrieve(mine.id)).toMatchObject({ id: mine.id });
    await refused(() => openai(h.key).vectorStores.retrieve(mine.id));
    expect(await openai(h.key).vectorStores.retrieve(ours.id)).toMatchObject({ id: ours.id });
    expect(await openai(carol).vectorStores.retrieve(ours.id)).toMatchObject({ id: ours.id });
    await refused(() => openai(bob).vectorStores.retrieve(ours.id));
    // Lists hold them for those they are given to.
    expect((await openai(carol).vectorStores.list()).data.map((s) => s.id).sort()).toEqual([mine.id, ours.id].sort());
    expect((await openai(bob).vectorStores.list()).data).toEqual([]);
  });
  it('lets a team in to a Gemini interaction made before Tollgate once the CLI gives it by its resource name, interactions/{id}', async () => {
    await start();
    const made = await new GoogleGenAI({ apiKey: 'gm-upstream', httpOptions: { baseUrl: h.fake.url } }).interactions.create({ model: 'gemini-2.5-flash', input: 'Remember 7.' });
    const gemini = (key: CreatedKey) => new GoogleGenAI({ apiKey: key.key, httpOptions: { baseUrl: h.url } });
    const status = (ask: () => Promise<unknown>) => ask().then(() => 200, (e: unknown) => (e as { status?: number }).status);
    const asked = h.fake.requests.length;
    expect(await status(() => gemini(h.key).interactions.get(made.id))).toBe(404);
    expect(await status(() => gemini(h.key).interactions.create({ model: 'gemini-2.5-flash', input: 'What was it?', previous_interaction_id: made.id }))).toBe(404);
    expect(h.fake.requests.length).toBe(asked);

    const given = await tollgate('assign', `interactions/${made.id}`, '--team', 'platform');
    expect(given).toMatchObject({ code: 0, err: '' });
    expect(given.out).toContain(`Gave ${made.id} (Gemini interaction) to team platform (every key of it).`);
    await eventually(async () => expect((await gemini(h.key).interactions.get(made.id)).id).toBe(made.id));
    const next = await gemini(carol).interactions.create({ model: 'gemini-2.5-flash', input: 'What was it?', previous_interaction_id: made.id });
    expect(next.id).not.toBe(made.id);
    expect(await status(() => gemini(bob).interactions.get(made.id))).toBe(404);
    expect((await tollgate('show', `interactions/${made.id}`)).out).toContain('Gemini interaction');
  });
});

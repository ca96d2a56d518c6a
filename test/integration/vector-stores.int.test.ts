import OpenAI, { NotFoundError, toFile } from 'openai';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import type { CreatedKey } from '../../src/identity/key-service.js';
import type { Storage } from '../../src/storage/ports.js';
import { type Harness, eventually, startHarness } from '../support/harness.js';
import { everyModelRouted } from '../support/routing.js';
import { harnessEngines, refusedUnsent as refused, teamStart } from '../support/team-storage.js';

const fileSearch = (...ids: string[]) => ({ type: 'file_search' as const, vector_store_ids: ids });

/**
 * OpenAI's Vector Stores API through the gateway and the official SDK: passed through, a free row
 * each, and kept to the team of the key that made the store (auth.stored_objects: team), as are the
 * stores a Responses file search tool searches; alice (team platform) makes, carol (platform)
 * shares, bob (team data) is told it does not exist, and nothing of his reaches the provider.
 */
describe.each(harnessEngines('vstores'))('vector stores (%s)', (_, storage: (() => Promise<Storage>) | undefined) => {
  let h: Harness;
  let carol: CreatedKey;
  let bob: CreatedKey;
  const start = teamStart(storage, (t) => ({ h, carol, bob } = t));
  const openai = (key: CreatedKey) => new OpenAI({ apiKey: key.key, baseURL: `${h.url}/v1`, maxRetries: 0 });
  const upload = async (key: CreatedKey, text: string, name = 'notes.txt') => openai(key).files.create({ file: await toFile(Buffer.from(text), name), purpose: name.endsWith('.jsonl') ? 'batch' : 'assistants' });
  const refusedUnsent = async (ask: () => Promise<unknown>) => {
    const err = await refused(h, ask, NotFoundError);
    expect(err.error).toMatchObject({ type: 'invalid_request_error', code: 'object_not_owned' });
    return err.message;
  };

  it('serves stores, their files, file batches and searches as the provider answers them, each a free row', async () => {
    await start();
    const a = openai(h.key);
    const first = await upload(h.key, 'The return window is 30 days.');
    const second = await upload(h.key, 'Shipping takes 5 days.');
    const third = await upload(h.key, 'Refunds go to the card used.');
    await h.mark();
    const store = await a.vectorStores.create({ name: 'support', file_ids: [first.id] });
    expect(store).toMatchObject({ object: 'vector_store', name: 'support', file_counts: { total: 1 } });
    expect(store.id).toMatch(/^vs_/);
    // Byte for byte: the SDK reads back what the fake wrote.
    const raw = await a.vectorStores.retrieve(store.id).asResponse();
    expect(Buffer.from(await raw.arrayBuffer()).equals(h.fake.requests.at(-1)!.sent)).toBe(true);
    expect(await a.vectorStores.update(store.id, { name: 'faq' })).toMatchObject({ id: store.id, name: 'faq' });
    const found = await a.vectorStores.search(store.id, { query: 'return window' });
    expect(found.data[0]).toMatchObject({ file_id: first.id, content: [{ type: 'text', text: 'The return window is 30 days.' }] });
    expect(await a.vectorStores.files.create(store.id, { file_id: second.id })).toMatchObject({ id: second.id, object: 'vector_store.file', vector_store_id: store.id });
    expect((await a.vectorStores.files.list(store.id)).data.map((f) => f.id).sort()).toEqual([first.id, second.id].sort());
    expect(await a.vectorStores.files.retrieve(second.id, { vector_store_id: store.id })).toMatchObject({ id: second.id, status: 'completed' });
    expect(await a.vectorStores.files.update(second.id, { vector_store_id: store.id, attributes: { topic: 'shipping' } })).toMatchObject({ attributes: { topic: 'shipping' } });
    expect((await a.vectorStores.files.content(second.id, { vector_store_id: store.id })).data).toEqual([{ type: 'text', text: 'Shipping takes 5 days.' }]);
    const batch = await a.vectorStores.fileBatches.create(store.id, { files: [{ file_id: third.id, attributes: { topic: 'refunds' } }] });
    expect(batch).toMatchObject({ object: 'vector_store.files_batch', vector_store_id: store.id, file_counts: { total: 1 } });
    expect(await a.vectorStores.fileBatches.retrieve(batch.id, { vector_store_id: store.id })).toMatchObject({ id: batch.id, status: 'completed' });
    expect((await a.vectorStores.fileBatches.listFiles(batch.id, { vector_store_id: store.id })).data.map((f) => f.id)).toEqual([third.id]);
    expect(await a.vectorStores.fileBatches.cancel(batch.id, { vector_store_id: store.id })).toMatchObject({ id: batch.id, status: 'cancelled' });
    expect(await a.vectorStores.files.delete(second.id, { vector_store_id: store.id })).toEqual({ id: second.id, object: 'vector_store.file.deleted', deleted: true });
    // Taking a file out of a store leaves the store its team's, and the file.
    expect(await openai(carol).vectorStores.retrieve(store.id)).toMatchObject({ id: store.id });
    expect(await openai(carol).files.retrieve(second.id)).toMatchObject({ id: second.id });
    expect((await a.vectorStores.list()).data.map((s) => s.id)).toEqual([store.id]);
    expect(await a.vectorStores.delete(store.id)).toEqual({ id: store.id, object: 'vector_store.deleted', deleted: true });
    const rows = await h.rows();
    expect(rows.map((r) => r.api)).toEqual([
      ...Array<string>(4).fill('openai.vector_stores'),
      ...Array<string>(10).fill('openai.vector_store_files'),
      'openai.vector_stores',
      'openai.files',
      'openai.vector_stores',
      'openai.vector_stores',
    ]);
    for (const r of rows) expect(r).toMatchObject({ status: 200, outcome: 'ok', costPicos: 0n, model: '' });
    expect(rows[0]!.responseId).toBe(store.id);
    // Deleted through the gateway: its owner is forgotten, here and in storage; the file keeps its own.
    await eventually(async () => expect(await h.tollgate.storage.objects.owners([store.id])).toEqual(new Map()));
    await refusedUnsent(() => a.vectorStores.retrieve(store.id));
    expect((await h.tollgate.storage.objects.owners([second.id])).size).toBe(1);
  });

  it('refuses another team a store, its files and file batches, with nothing sent upstream; the same team uses them', async () => {
    await start();
    const file = await upload(h.key, 'The return window is 30 days.');
    const store = await openai(h.key).vectorStores.create({ name: 'support', file_ids: [file.id] });
    const batch = await openai(h.key).vectorStores.fileBatches.create(store.id, { file_ids: [file.id] });
    const bobs = await upload(bob, 'Mine.');
    await h.mark();
    const b = openai(bob);
    const vs = { vector_store_id: store.id };
    const message = await refusedUnsent(() => b.vectorStores.retrieve(store.id));
    expect(message).toContain(`No vector store with id '${store.id}' found`);
    await refusedUnsent(() => b.vectorStores.update(store.id, { name: 'mine' }));
    await refusedUnsent(() => b.vectorStores.search(store.id, { query: 'return' }));
    await refusedUnsent(() => b.vectorStores.files.create(store.id, { file_id: bobs.id }));
    await refusedUnsent(() => b.vectorStores.files.list(store.id));
    await refusedUnsent(() => b.vectorStores.files.retrieve(file.id, vs));
    await refusedUnsent(() => b.vectorStores.files.update(file.id, { ...vs, attributes: { a: 'b' } }));
    await refusedUnsent(() => b.vectorStores.files.content(file.id, vs));
    await refusedUnsent(() => b.vectorStores.files.delete(file.id, vs));
    await refusedUnsent(() => b.vectorStores.fileBatches.create(store.id, { file_ids: [bobs.id] }));
    await refusedUnsent(() => b.vectorStores.fileBatches.retrieve(batch.id, vs));
    await refusedUnsent(() => b.vectorStores.fileBatches.cancel(batch.id, vs));
    await refusedUnsent(() => b.vectorStores.fileBatches.listFiles(batch.id, vs));
    await refusedUnsent(() => b.vectorStores.delete(store.id));
    const refused = await h.rows();
    expect(refused).toHaveLength(14);
    for (const r of refused) expect(r).toMatchObject({ keyId: bob.id, status: 404, outcome: 'rejected', errorType: 'object_not_owned', costPicos: 0n });
    // Still there, and its team's.
    const c = openai(carol);
    expect((await c.vectorStores.search(store.id, { query: 'return' })).data).toHaveLength(1);
    expect(await c.vectorStores.files.retrieve(file.id, vs)).toMatchObject({ id: file.id });
    expect(await c.vectorStores.fileBatches.retrieve(batch.id, vs)).toMatchObject({ id: batch.id });
  });

  it('refuses a store made or given another team file, and makes one of its own team files', async () => {
    await start();
    const theirs = await upload(bob, 'Not yours.');
    const mine = await upload(carol, 'Ours.');
    const store = await openai(h.key).vectorStores.create({ name: 'kb' });
    const a = openai(h.key);
    const message = await refusedUnsent(() => a.vectorStores.create({ name: 'kb', file_ids: [mine.id, theirs.id] }));
    expect(message).toContain(`No file with id '${theirs.id}' found`);
    await refusedUnsent(() => a.vectorStores.files.create(store.id, { file_id: theirs.id }));
    await refusedUnsent(() => a.vectorStores.fileBatches.create(store.id, { file_ids: [mine.id, theirs.id] }));
    await refusedUnsent(() => a.vectorStores.fileBatches.create(store.id, { files: [{ file_id: theirs.id }] }));
    expect(await a.vectorStores.create({ name: 'ours', file_ids: [mine.id] })).toMatchObject({ file_counts: { total: 1 } });
    expect(await a.vectorStores.files.create(store.id, { file_id: mine.id })).toMatchObject({ id: mine.id });
  });

  it('lists each team its own stores, paging past the others forwards and backwards', async () => {
    await start();
    const make = async (k: CreatedKey, name: string) => (await openai(k).vectorStores.create({ name })).id;
    const b1 = await make(bob, 'b1');
    const a1 = await make(h.key, 'a1');
    const b2 = await make(bob, 'b2');
    const a2 = await make(carol, 'a2');
    const b3 = await make(bob, 'b3');
    const all = async (k: CreatedKey) => {
      const out: string[] = [];
      for await (const s of openai(k).vectorStores.list({ limit: 1 })) out.push(s.id);
      return out;
    };
    // Newest first, as the provider lists them; stores other tests of this process made are no one's here.
    expect(await all(h.key)).toEqual([a2, a1]);
    expect(await all(bob)).toEqual([b3, b2, b1]);
    const back = await openai(h.key).vectorStores.list({ limit: 1, before: a1 });
    expect(back.data.map((s) => s.id)).toEqual([a2]);
    expect(back.has_more).toBe(true);
    expect((await openai(bob).vectorStores.list({ limit: 1, before: b1 })).data.map((s) => s.id)).toEqual([b2]);
  });

  it('refuses a Responses request whose file search tool searches another team store, and lets the same team search it', async () => {
    await start();
    const store = await openai(h.key).vectorStores.create({ name: 'kb' });
    const bobs = await openai(bob).vectorStores.create({ name: 'his' });
    const b = openai(bob);
    const message = await refusedUnsent(() => b.responses.create({ model: 'gpt-5', input: 'find it', tools: [fileSearch(bobs.id, store.id)] }));
    expect(message).toContain(`No vector store with id '${store.id}' found`);
    await refusedUnsent(() => b.responses.create({ model: 'gpt-5', input: 'find it', stream: true, tools: [fileSearch(store.id)] }));
    await refusedUnsent(() => b.responses.inputTokens.count({ model: 'gpt-5', input: 'find it', tools: [fileSearch(store.id)] }));
    // Tools an input item gives the model are searched as well.
    await refusedUnsent(() => b.responses.create({ model: 'gpt-5', input: [{ type: 'additional_tools', role: 'developer', tools: [fileSearch(store.id)] }, { role: 'user', content: 'find it' }] }));
    expect(await b.responses.create({ model: 'gpt-5', input: 'find it', tools: [fileSearch(bobs.id)] })).toMatchObject({ object: 'response' });
    expect(await openai(carol).responses.create({ model: 'gpt-5', input: 'find it', tools: [fileSearch(store.id)] })).toMatchObject({ object: 'response' });
    expect(h.fake.requests.at(-1)!.json).toMatchObject({ tools: [fileSearch(store.id)] });
  });

  it('refuses another team store searched by a response.create on a Responses WebSocket', async () => {
    await start();
    const store = await openai(h.key).vectorStores.create({ name: 'kb' });
    const ws = new WebSocket(`${h.url.replace(/^http/, 'ws')}/v1/responses`, { headers: { authorization: `Bearer ${bob.key}` } });
    const got: string[] = [];
    ws.on('message', (d: Buffer) => got.push(d.toString()));
    await new Promise((ok, fail) => ws.once('open', ok).once('error', fail));
    const asked = h.fake.requests.length;
    ws.send(JSON.stringify({ type: 'response.create', model: 'gpt-5', input: 'hi', tools: [fileSearch(store.id)] }));
    await eventually(() => expect(got.some((m) => /"type":"(response\.completed|error)"/.test(m))).toBe(true));
    expect(JSON.parse(got.at(-1)!)).toMatchObject({ type: 'error', status: 404, error: { code: 'object_not_owned' } });
    expect(h.fake.requests.length).toBe(asked);
    ws.close();
  });

  it('refuses a batch whose input file searches another team store, naming the line, and creates one searching its own', async () => {
    await start();
    const store = await openai(h.key).vectorStores.create({ name: 'kb' });
    const bobs = await openai(bob).vectorStores.create({ name: 'his' });
    const line = (customId: string, id: string) => JSON.stringify({ custom_id: customId, method: 'POST', url: '/v1/responses', body: { model: 'gpt-5', input: 'find it', tools: [fileSearch(id)] } }) + '\n';
    const input = await upload(h.key, line('ok', store.id) + line('sneaky', bobs.id), 'requests.jsonl');
    const create = (k: CreatedKey, fileId: string) => openai(k).batches.create({ input_file_id: fileId, endpoint: '/v1/responses', completion_window: '24h' });
    const err = (await create(h.key, input.id).then(() => undefined, (e: unknown) => e)) as NotFoundError;
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err.error).toMatchObject({ code: 'object_not_owned' });
    expect(err.message).toContain(`No vector store with id '${bobs.id}' found (line 2 of the batch's input file ${input.id}, custom_id "sneaky")`);
    // The input file was read from the provider to check it; no batch was made.
    expect(h.fake.requests.filter((r) => r.route === 'openai.batches.create')).toHaveLength(0);
    const good = await upload(h.key, line('ok', store.id), 'requests.jsonl');
    expect(await create(carol, good.id)).toMatchObject({ object: 'batch' });
  });

  it('forgets the owner of a store the provider no longer has once it answers 404 for it', async () => {
    await start();
    const provider = new OpenAI({ apiKey: 'sk-upstream', baseURL: `${h.fake.url}/v1`, maxRetries: 0 });
    // Made a while ago (its owner recorded then), then expired at the provider: gone from there, not through Tollgate.
    const old = await provider.vectorStores.create({ name: 'old' });
    await h.tollgate.storage.objects.add([{ id: old.id, api: 'openai.vector_stores', keyId: h.key.id, team: 'platform', createdAt: Date.now() - 10 * 60_000 }]);
    expect(await openai(h.key).vectorStores.retrieve(old.id)).toMatchObject({ id: old.id });
    await provider.vectorStores.delete(old.id);
    // A file the store no longer holds says nothing of the store.
    await expect(openai(h.key).vectorStores.files.retrieve('file-gone', { vector_store_id: old.id })).rejects.toBeInstanceOf(NotFoundError);
    expect((await h.tollgate.storage.objects.owners([old.id])).size).toBe(1);
    await expect(openai(h.key).vectorStores.retrieve(old.id)).rejects.toBeInstanceOf(NotFoundError);
    await eventually(async () => expect(await h.tollgate.storage.objects.owners([old.id])).toEqual(new Map()));
    await refusedUnsent(() => openai(h.key).vectorStores.retrieve(old.id));
  });
});

describe('vector stores with a configured route for every model', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('are not routed: a store names no model and is kept by the one account that made it', async () => {
    h = await startHarness({ routing: everyModelRouted });
    const openai = new OpenAI({ apiKey: h.key.key, baseURL: `${h.url}/v1`, maxRetries: 0 });
    const store = await openai.vectorStores.create({ name: 'routed' });
    expect(await openai.vectorStores.search(store.id, { query: 'q' })).toBeDefined();
    // Sent as the client wrote them: no route's model written in (the provider refuses an unknown parameter).
    const sent = h.fake.requests.map((r) => r.json as Record<string, unknown>);
    expect(sent).toHaveLength(2);
    for (const body of sent) expect(body).not.toHaveProperty('model');
    const rows = await eventually(async () => {
      const all = await h.rows();
      expect(all).toHaveLength(2);
      return all;
    });
    for (const r of rows) {
      expect(r).toMatchObject({ status: 200, costPicos: 0n, attempts: 1 });
      expect(r.attemptLog).toBeUndefined();
    }
  });
});

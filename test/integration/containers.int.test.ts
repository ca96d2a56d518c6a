import { randomBytes } from 'node:crypto';
import OpenAI, { NotFoundError, toFile } from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import type { CreatedKey } from '../../src/identity/key-service.js';
import type { Storage } from '../../src/storage/ports.js';
import { type Harness, eventually, startHarness } from '../support/harness.js';
import { everyModelRouted } from '../support/routing.js';
import { harnessEngines, refusedUnsent as refused, teamStart } from '../support/team-storage.js';

/**
 * OpenAI's Containers API through the gateway and the official SDK: passed through, a free row each
 * (the provider bills a container by the session, unpriced), and kept to the team of the key that
 * made the container (auth.stored_objects: team); alice (team platform) makes, carol (platform)
 * shares, bob (team data) is told it does not exist, and nothing of his reaches the provider.
 */
describe.each(harnessEngines('containers'))('containers (%s)', (_, storage: (() => Promise<Storage>) | undefined) => {
  let h: Harness;
  let carol: CreatedKey;
  let bob: CreatedKey;
  const start = teamStart(storage, (t) => ({ h, carol, bob } = t));
  const openai = (key: CreatedKey) => new OpenAI({ apiKey: key.key, baseURL: `${h.url}/v1`, maxRetries: 0 });
  const upload = async (key: CreatedKey, text: string, name = 'data.csv') => openai(key).files.create({ file: await toFile(Buffer.from(text), name), purpose: 'user_data' });
  const refusedUnsent = (ask: () => Promise<unknown>) => refused(h, ask, NotFoundError);

  it('serves containers and their files (create, list, retrieve, delete, content) as the provider answers them, each a free row', async () => {
    await start();
    const a = openai(h.key);
    const stored = await upload(h.key, 'a,b\n1,2\n', 'stored.csv');
    const c = await a.containers.create({ name: 'demo', file_ids: [stored.id], expires_after: { anchor: 'last_active_at', minutes: 20 } });
    expect(c).toMatchObject({ object: 'container', name: 'demo', status: 'running', expires_after: { minutes: 20 } });
    expect(c.id).toMatch(/^cntr_/);
    // Byte for byte: the SDK reads back what the fake wrote.
    const raw = await a.containers.retrieve(c.id).asResponse();
    expect(Buffer.from(await raw.arrayBuffer()).equals(h.fake.requests.at(-1)!.sent)).toBe(true);
    const listed = [];
    for await (const x of a.containers.list({ name: 'demo' })) listed.push(x.id);
    expect(listed).toContain(c.id);

    const bytes = randomBytes(2048);
    const sent = await a.containers.files.create(c.id, { file: await toFile(bytes, 'upload.bin') });
    expect(sent).toMatchObject({ object: 'container.file', container_id: c.id, bytes: 2048, path: '/mnt/data/upload.bin' });
    const copied = await a.containers.files.create(c.id, { file_id: stored.id });
    expect(copied).toMatchObject({ object: 'container.file', path: '/mnt/data/stored.csv' });
    const files = [];
    for await (const f of a.containers.files.list(c.id, { order: 'asc' })) files.push(f.id);
    expect(files).toHaveLength(3);
    expect(await a.containers.files.retrieve(sent.id, { container_id: c.id })).toMatchObject({ id: sent.id, bytes: 2048 });
    const content = Buffer.from(await (await a.containers.files.content.retrieve(sent.id, { container_id: c.id })).arrayBuffer());
    expect(content.equals(bytes)).toBe(true);
    await a.containers.files.delete(copied.id, { container_id: c.id });
    // The container is still its team's after one of its files was deleted.
    expect(await openai(carol).containers.retrieve(c.id)).toMatchObject({ id: c.id });
    await a.containers.delete(c.id);
    expect(h.fake.requests.at(-1)).toMatchObject({ route: 'openai.containers.delete', status: 200 });

    const rows = (await h.rows()).filter((r) => r.api !== 'openai.files');
    expect(rows.map((r) => r.api)).toEqual([
      'openai.containers',
      'openai.containers',
      'openai.containers',
      'openai.container_files',
      'openai.container_files',
      'openai.container_files',
      'openai.container_files',
      'openai.container_file_content',
      'openai.container_files',
      'openai.containers',
      'openai.containers',
    ]);
    for (const r of rows) expect(r).toMatchObject({ status: 200, outcome: 'ok', costPicos: 0n, modelRequested: '' });
    expect(rows[0]!.responseId).toBe(c.id);
    // A file added to the container was the container owner's; the container, deleted through the gateway, is forgotten, and its files with it.
    await eventually(async () => expect(await h.tollgate.storage.objects.owners([c.id, sent.id, copied.id])).toEqual(new Map()));
    const err = await refusedUnsent(() => a.containers.retrieve(c.id));
    expect(err.error).toMatchObject({ code: 'object_not_owned' });
  });

  it('refuses another team a container, its files and a Response that runs code in it, with nothing sent upstream; the same team uses them', async () => {
    await start();
    const c = await openai(h.key).containers.create({ name: 'alice' });
    const f = await openai(h.key).containers.files.create(c.id, { file: await toFile(Buffer.from('x'), 'x.txt') });
    const mine = await upload(h.key, 'alice,secret\n');
    const bobs = await openai(bob).containers.create({ name: 'bob' });
    const theirs = await upload(bob, 'bob\n');
    await h.mark();
    const b = openai(bob);
    const code = (container: string) => ({ model: 'gpt-5', input: 'run it', tools: [{ type: 'code_interpreter' as const, container }] });
    const asks: (() => Promise<unknown>)[] = [
      () => b.containers.retrieve(c.id),
      () => b.containers.delete(c.id),
      () => b.containers.files.list(c.id),
      async () => b.containers.files.create(c.id, { file: await toFile(Buffer.from('y'), 'y.txt') }),
      () => b.containers.files.create(c.id, { file_id: theirs.id }),
      () => b.containers.files.retrieve(f.id, { container_id: c.id }),
      () => b.containers.files.content.retrieve(f.id, { container_id: c.id }),
      () => b.containers.files.delete(f.id, { container_id: c.id }),
      () => b.responses.create(code(c.id)),
      // Another team's stored file, copied into a container of one's own.
      () => b.containers.create({ name: 'copy', file_ids: [theirs.id, mine.id] }),
      () => b.containers.files.create(bobs.id, { file_id: mine.id }),
    ];
    for (const ask of asks) await refusedUnsent(ask);
    const err = await refusedUnsent(() => b.containers.retrieve(c.id));
    expect(err.error).toMatchObject({ type: 'invalid_request_error', code: 'object_not_owned' });
    expect(err.message).toContain(`No container with id '${c.id}' found`);
    const refused = await h.rows();
    expect(refused).toHaveLength(asks.length + 1);
    for (const r of refused) expect(r).toMatchObject({ keyId: bob.id, status: 404, outcome: 'rejected', errorType: 'object_not_owned', costPicos: 0n });

    // The same team: code run in the container, a file of the team's copied into it, the container made with one.
    const reply = await openai(carol).responses.create(code(c.id));
    expect(reply).toMatchObject({ object: 'response' });
    expect(h.fake.requests.at(-1)!.json).toMatchObject({ tools: [{ type: 'code_interpreter', container: c.id }] });
    expect(await openai(carol).containers.files.create(c.id, { file_id: mine.id })).toMatchObject({ object: 'container.file' });
    expect(await openai(carol).containers.create({ name: 'carol', file_ids: [mine.id] })).toMatchObject({ object: 'container' });
    // Bob uses his own.
    expect(await b.responses.create(code(bobs.id))).toMatchObject({ object: 'response' });
    expect(await b.containers.files.create(bobs.id, { file_id: theirs.id })).toMatchObject({ object: 'container.file' });
  });

  it('lists only the caller team containers, paging past the others', async () => {
    await start();
    const name = `list-${randomBytes(4).toString('hex')}`;
    const make = async (k: CreatedKey) => (await openai(k).containers.create({ name })).id;
    // Newest first: the other team's three come before alice's two.
    const alices = [await make(h.key), await make(h.key)];
    const bobs = [await make(bob), await make(bob), await make(bob)];
    const list = async (k: CreatedKey) => {
      const ids = [];
      for await (const x of openai(k).containers.list({ name, limit: 2 })) ids.push(x.id);
      return ids;
    };
    expect(await list(h.key)).toEqual([...alices].reverse());
    expect(await list(carol)).toEqual([...alices].reverse());
    expect(await list(bob)).toEqual([...bobs].reverse());
    const page = await openai(h.key).containers.list({ name, limit: 2 });
    expect(page.data.map((x) => x.id)).toEqual([alices[1]]);
    expect(page.has_more).toBe(true);
    const rows = (await h.rows()).filter((r) => r.keyId === h.key.id && r.api === 'openai.containers');
    for (const r of rows) expect(r).toMatchObject({ status: 200, costPicos: 0n });
  });

  it('forgets the owners of the files of a container deleted through the gateway, in storage and at once, and keeps those of another container', async () => {
    await start();
    const a = openai(h.key);
    const gone = await a.containers.create({ name: 'gone' });
    const kept = await a.containers.create({ name: 'kept' });
    const inGone = await a.containers.files.create(gone.id, { file: await toFile(Buffer.from('g'), 'g.txt') });
    const inKept = await a.containers.files.create(kept.id, { file: await toFile(Buffer.from('k'), 'k.txt') });
    const platform = { keyId: h.key.id, team: 'platform' };
    await eventually(async () => {
      const owners = await h.tollgate.storage.objects.owners([inGone.id, inKept.id]);
      expect(owners.get(inGone.id)).toMatchObject({ ...platform, parent: gone.id });
      expect(owners.get(inKept.id)).toMatchObject({ ...platform, parent: kept.id });
    });
    await a.containers.delete(gone.id);
    // Named as a file of one's own straight after: the gateway that deleted the container has forgotten it already.
    const naming = (id: string) => () => openai(carol).responses.create({ model: 'gpt-5', input: [{ role: 'user', content: [{ type: 'input_file', file_id: id }] }] });
    const err = await refusedUnsent(naming(inGone.id));
    expect(err.error).toMatchObject({ code: 'object_not_owned' });
    expect(await naming(inKept.id)()).toMatchObject({ object: 'response' });
    await eventually(async () => {
      const owners = await h.tollgate.storage.objects.owners([gone.id, inGone.id, kept.id, inKept.id]);
      expect([...owners.keys()].sort()).toEqual([kept.id, inKept.id].sort());
    });
  });

  it('forgets the owner of a container file deleted through the gateway, in storage and at once, and keeps its container and its other files', async () => {
    await start();
    const a = openai(h.key);
    const c = await a.containers.create({ name: 'parts' });
    const gone = await a.containers.files.create(c.id, { file: await toFile(Buffer.from('g'), 'g.txt') });
    const kept = await a.containers.files.create(c.id, { file: await toFile(Buffer.from('k'), 'k.txt') });
    await eventually(async () => expect([...(await h.tollgate.storage.objects.owners([c.id, gone.id, kept.id])).keys()].sort()).toEqual([c.id, gone.id, kept.id].sort()));
    // Refused for another team, the file stays its owner's.
    await refusedUnsent(() => openai(bob).containers.files.delete(gone.id, { container_id: c.id }));
    await a.containers.files.delete(gone.id, { container_id: c.id });
    expect(h.fake.requests.at(-1)).toMatchObject({ route: 'openai.containers.files.delete', status: 200 });
    // Named as a file of one's own straight after: the gateway that deleted it has forgotten it already.
    const naming = (id: string) => () => openai(carol).responses.create({ model: 'gpt-5', input: [{ role: 'user', content: [{ type: 'input_file', file_id: id }] }] });
    expect((await refusedUnsent(naming(gone.id))).error).toMatchObject({ code: 'object_not_owned' });
    expect(await naming(kept.id)()).toMatchObject({ object: 'response' });
    await eventually(async () => {
      const owners = await h.tollgate.storage.objects.owners([c.id, gone.id, kept.id]);
      expect([...owners.keys()].sort()).toEqual([c.id, kept.id].sort());
      expect(owners.get(kept.id)).toMatchObject({ keyId: h.key.id, team: 'platform', parent: c.id });
    });
    expect(await openai(carol).containers.retrieve(c.id)).toMatchObject({ id: c.id });
  });

  it('forgets the owner of a container the provider no longer has once it answers 404 for it, not of one just made', async () => {
    await start();
    const provider = new OpenAI({ apiKey: 'sk-upstream', baseURL: `${h.fake.url}/v1`, maxRetries: 0 });
    // Made a while ago (its owner recorded then), then expired at the provider.
    const old = await provider.containers.create({ name: 'old' });
    await h.tollgate.storage.objects.add([{ id: old.id, api: 'openai.containers', keyId: h.key.id, team: 'platform', createdAt: Date.now() - 10 * 60_000 }]);
    expect(await openai(h.key).containers.retrieve(old.id)).toMatchObject({ id: old.id });
    await provider.containers.delete(old.id);
    await expect(openai(h.key).containers.retrieve(old.id)).rejects.toBeInstanceOf(NotFoundError);
    await eventually(async () => expect(await h.tollgate.storage.objects.owners([old.id])).toEqual(new Map()));
    const young = await openai(h.key).containers.create({ name: 'young' });
    await provider.containers.delete(young.id);
    await expect(openai(h.key).containers.retrieve(young.id)).rejects.toBeInstanceOf(NotFoundError);
    // Its owner is written in the background: read storage once it has been.
    await eventually(async () => expect((await h.tollgate.storage.objects.owners([young.id])).size).toBe(1));
  });
});

describe('containers with a configured route for every model', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('are not routed: a container names no model and is kept by the one account that made it', async () => {
    h = await startHarness({ routing: everyModelRouted });
    const openai = new OpenAI({ apiKey: h.key.key, baseURL: `${h.url}/v1`, maxRetries: 0 });
    const c = await openai.containers.create({ name: 'routed' });
    await openai.containers.files.create(c.id, { file_id: (await openai.files.create({ file: await toFile(Buffer.from('x'), 'x.txt'), purpose: 'user_data' })).id });
    // Sent as the client wrote them: no route's model written in.
    const sent = h.fake.requests.filter((r) => r.path.startsWith('/v1/containers')).map((r) => r.json);
    expect(sent).toEqual([{ name: 'routed' }, { file_id: expect.stringMatching(/^file-/) }]);
    const rows = await eventually(async () => {
      const all = (await h.rows()).filter((r) => r.api !== 'openai.files');
      expect(all).toHaveLength(2);
      return all;
    });
    for (const r of rows) {
      expect(r).toMatchObject({ status: 200, costPicos: 0n, attempts: 1 });
      expect(r.attemptLog).toBeUndefined();
    }
  });
});

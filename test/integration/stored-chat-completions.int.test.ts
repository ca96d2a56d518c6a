import { randomBytes } from 'node:crypto';
import OpenAI, { NotFoundError } from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import type { CreatedKey } from '../../src/identity/key-service.js';
import type { Storage } from '../../src/storage/ports.js';
import { type Harness, eventually, startHarness } from '../support/harness.js';
import { everyModelRouted } from '../support/routing.js';
import { harnessEngines, refusedUnsent as refused, teamStart } from '../support/team-storage.js';
import { translatingProviders } from '../support/translating-providers.js';

const hello = [{ role: 'user' as const, content: 'hello' }];

/**
 * OpenAI's stored chat completions (`store: true`) read back through the gateway and the official SDK:
 * passed through, a free row each, and kept to the team of the key that made the completion
 * (auth.stored_objects: team); alice (team platform) makes, carol (platform) shares, bob (team data) is
 * told it does not exist, and nothing of his reaches the provider.
 */
describe.each(harnessEngines('stored_chat'))('stored chat completions (%s)', (_, storage: (() => Promise<Storage>) | undefined) => {
  let h: Harness;
  let carol: CreatedKey;
  let bob: CreatedKey;
  const start = teamStart(storage, (t) => ({ h, carol, bob } = t));
  const openai = (key: CreatedKey) => new OpenAI({ apiKey: key.key, baseURL: `${h.url}/v1`, maxRetries: 0 });
  const refusedUnsent = (ask: () => Promise<unknown>) => refused(h, ask, NotFoundError);
  /** A stored completion of `key`'s, streamed or not: its id. */
  const make = async (key: CreatedKey, metadata: Record<string, string>, stream = false): Promise<string> => {
    if (!stream) return (await openai(key).chat.completions.create({ model: 'gpt-5', messages: hello, store: true, metadata })).id;
    const ids = new Set<string>();
    for await (const chunk of await openai(key).chat.completions.create({ model: 'gpt-5', messages: hello, store: true, metadata, stream: true })) ids.add(chunk.id);
    expect(ids.size).toBe(1);
    return [...ids][0]!;
  };

  it('serves list, retrieve, messages, update and delete of the completions made with store, streamed or not, each a free row', async () => {
    await start();
    const a = openai(h.key);
    const tag = randomBytes(4).toString('hex');
    const plain = await make(h.key, { tag });
    const streamed = await make(h.key, { tag }, true);
    expect(plain).toMatch(/^chatcmpl-/);
    expect(streamed).not.toBe(plain);
    // Byte for byte: the SDK reads back what the fake wrote.
    const raw = await a.chat.completions.retrieve(plain).asResponse();
    expect(Buffer.from(await raw.arrayBuffer()).equals(h.fake.requests.at(-1)!.sent)).toBe(true);
    expect(await a.chat.completions.retrieve(streamed)).toMatchObject({ id: streamed, object: 'chat.completion', metadata: { tag } });
    const listed = [];
    for await (const c of a.chat.completions.list({ metadata: { tag } })) listed.push(c.id);
    expect(listed).toEqual([plain, streamed]);
    expect(h.fake.requests.at(-1)!.query).toMatchObject({ 'metadata[tag]': tag });
    const messages = await a.chat.completions.messages.list(plain);
    expect(messages.data).toEqual([{ id: `${plain}-0`, role: 'user', content: 'hello', name: null, content_parts: null }]);
    expect(await a.chat.completions.update(plain, { metadata: { tag, topic: 'demo' } })).toMatchObject({ id: plain, metadata: { tag, topic: 'demo' } });
    // Sent as the client wrote it: an update names no model.
    expect(h.fake.requests.at(-1)!.json).toEqual({ metadata: { tag, topic: 'demo' } });
    expect(await openai(carol).chat.completions.retrieve(plain)).toMatchObject({ id: plain });
    expect(await a.chat.completions.delete(plain)).toEqual({ object: 'chat.completion.deleted', id: plain, deleted: true });

    const rows = await h.rows();
    expect(rows.map((r) => r.api)).toEqual(['openai.chat', 'openai.chat', ...Array<string>(7).fill('openai.chat_lookup')]);
    expect(rows.slice(0, 2).map((r) => r.responseId)).toEqual([plain, streamed]);
    for (const r of rows.slice(2)) expect(r).toMatchObject({ status: 200, outcome: 'ok', costPicos: 0n, modelRequested: '', attempts: 1 });
    // Deleted through the gateway: its owner is forgotten; the streamed one stays its maker's.
    await eventually(async () => {
      const owners = await h.tollgate.storage.objects.owners([plain, streamed]);
      expect(owners.has(plain)).toBe(false);
      expect(owners.get(streamed)).toMatchObject({ keyId: h.key.id, team: 'platform' });
    });
    const err = await refusedUnsent(() => a.chat.completions.retrieve(plain));
    expect(err.error).toMatchObject({ code: 'object_not_owned' });
  });

  it('refuses another team each call about a stored completion, with nothing sent upstream; the same team makes them', async () => {
    await start();
    const plain = await make(h.key, { who: 'alice' });
    const streamed = await make(carol, { who: 'carol' }, true);
    await h.mark();
    const b = openai(bob);
    const asks: (() => Promise<unknown>)[] = [];
    for (const id of [plain, streamed]) {
      asks.push(
        () => b.chat.completions.retrieve(id),
        () => b.chat.completions.messages.list(id),
        () => b.chat.completions.update(id, { metadata: { who: 'bob' } }),
        () => b.chat.completions.delete(id),
      );
    }
    for (const ask of asks) await refusedUnsent(ask);
    const err = await refusedUnsent(() => b.chat.completions.retrieve(plain));
    expect(err.error).toMatchObject({ type: 'invalid_request_error', code: 'object_not_owned' });
    expect(err.message).toContain(`No chat completion with id '${plain}' found`);
    const refusedRows = await h.rows();
    expect(refusedRows).toHaveLength(asks.length + 1);
    for (const r of refusedRows) expect(r).toMatchObject({ keyId: bob.id, api: 'openai.chat_lookup', status: 404, outcome: 'rejected', errorType: 'object_not_owned', costPicos: 0n });

    // The same team: each of the two reads the other's, and the messages of one.
    expect(await openai(carol).chat.completions.retrieve(plain)).toMatchObject({ id: plain, metadata: { who: 'alice' } });
    expect(await openai(h.key).chat.completions.retrieve(streamed)).toMatchObject({ id: streamed, metadata: { who: 'carol' } });
    expect((await openai(carol).chat.completions.messages.list(plain)).data).toHaveLength(1);
    expect(await openai(h.key).chat.completions.delete(streamed)).toMatchObject({ deleted: true });
  });

  it('lists only the caller team stored completions, paging past the others', async () => {
    await start();
    const tag = randomBytes(4).toString('hex');
    // Oldest first: the other team's three come before alice's two, and one after.
    const bobs = [await make(bob, { tag }), await make(bob, { tag }), await make(bob, { tag })];
    const alices = [await make(h.key, { tag }), await make(carol, { tag }, true)];
    bobs.push(await make(bob, { tag }));
    const list = async (k: CreatedKey) => {
      const ids = [];
      for await (const c of openai(k).chat.completions.list({ metadata: { tag }, limit: 2 })) ids.push(c.id);
      return ids;
    };
    expect(await list(h.key)).toEqual(alices);
    expect(await list(carol)).toEqual(alices);
    expect(await list(bob)).toEqual(bobs);
    // The first upstream page holds none of alice's: the next is read, and the page goes on after her first.
    const page = await openai(h.key).chat.completions.list({ metadata: { tag }, limit: 2 });
    expect(page.data.map((c) => c.id)).toEqual([alices[0]]);
    expect(page.has_more).toBe(true);
    const newest = await openai(h.key).chat.completions.list({ metadata: { tag }, order: 'desc' });
    expect(newest.data.map((c) => c.id)).toEqual([...alices].reverse());
    const rows = (await h.rows()).filter((r) => r.keyId === h.key.id && r.api === 'openai.chat_lookup');
    for (const r of rows) expect(r).toMatchObject({ status: 200, costPicos: 0n });
  });

  it('refuses a completion made without store, or with store false, even to its maker: no key may read it back', async () => {
    await start();
    for (const [id, store] of [['chatcmpl-storeUnset01', undefined], ['chatcmpl-storeFalse01', false]] as const) {
      h.fake.script({ id });
      const made = await openai(h.key).chat.completions.create({ model: 'gpt-5', messages: hello, ...(store === undefined ? {} : { store }) });
      expect(made.id).toBe(id);
      const err = await refusedUnsent(() => openai(h.key).chat.completions.retrieve(id));
      expect(err.error).toMatchObject({ code: 'object_not_owned' });
      await refusedUnsent(() => openai(h.key).chat.completions.messages.list(id));
    }
    expect(await h.tollgate.storage.objects.owners(['chatcmpl-storeUnset01', 'chatcmpl-storeFalse01'])).toEqual(new Map());
  });

  it('forgets the owner of a completion the provider no longer has once it answers 404 for it, not of one just made', async () => {
    await start();
    const provider = new OpenAI({ apiKey: 'sk-upstream', baseURL: `${h.fake.url}/v1`, maxRetries: 0 });
    // Made a while ago (its owner recorded then), then deleted at the provider.
    const old = (await provider.chat.completions.create({ model: 'gpt-5', messages: hello, store: true })).id;
    await h.tollgate.storage.objects.add([{ id: old, api: 'openai.chat', keyId: h.key.id, team: 'platform', createdAt: Date.now() - 10 * 60_000 }]);
    expect(await openai(h.key).chat.completions.retrieve(old)).toMatchObject({ id: old });
    await provider.chat.completions.delete(old);
    await expect(openai(h.key).chat.completions.retrieve(old)).rejects.toBeInstanceOf(NotFoundError);
    await eventually(async () => expect(await h.tollgate.storage.objects.owners([old])).toEqual(new Map()));
    const young = await make(h.key, {});
    await provider.chat.completions.delete(young);
    await expect(openai(h.key).chat.completions.messages.list(young)).rejects.toBeInstanceOf(NotFoundError);
    // Still its maker's: asked again, it goes to the provider, whose own 404 comes back.
    const asked = h.fake.requests.length;
    const again = (await openai(h.key).chat.completions.retrieve(young).then(() => undefined, (e: unknown) => e)) as NotFoundError;
    expect(again).toBeInstanceOf(NotFoundError);
    expect(again.error).not.toMatchObject({ code: 'object_not_owned' });
    expect(h.fake.requests.length).toBe(asked + 1);
    // Written in the background: storage has it once the write is done.
    await eventually(async () => expect((await h.tollgate.storage.objects.owners([young])).size).toBe(1));
  });
});

describe('stored chat completions with a configured route for every model', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('are made through the route, and read back, updated and deleted without it: the reads name no model and the completion is kept by one account', async () => {
    h = await startHarness({ routing: everyModelRouted });
    const openai = new OpenAI({ apiKey: h.key.key, baseURL: `${h.url}/v1`, maxRetries: 0 });
    const made = await openai.chat.completions.create({ model: 'gpt-5', messages: hello, store: true });
    expect(h.fake.requests.at(-1)!.json).toMatchObject({ model: 'gpt-other', store: true });
    await openai.chat.completions.update(made.id, { metadata: { topic: 'routed' } });
    // Sent as the client wrote it: no route's model written in (the provider refuses an unknown parameter).
    expect(h.fake.requests.at(-1)!.json).toEqual({ metadata: { topic: 'routed' } });
    expect(await openai.chat.completions.retrieve(made.id)).toMatchObject({ id: made.id, metadata: { topic: 'routed' } });
    await openai.chat.completions.delete(made.id);
    const rows = await eventually(async () => {
      const all = (await h.rows()).filter((r) => r.api === 'openai.chat_lookup');
      expect(all).toHaveLength(3);
      return all;
    });
    for (const r of rows) {
      expect(r).toMatchObject({ status: 200, costPicos: 0n, attempts: 1 });
      expect(r.attemptLog).toBeUndefined();
    }
  });
});

describe('stored chat completions asked of a provider that translates', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('are not recorded: a chat request served by an Anthropic account keeps nothing under the id its answer is given', async () => {
    h = await startHarness({ providers: translatingProviders });
    const openai = new OpenAI({ apiKey: h.key.key, baseURL: `${h.url}/v1`, maxRetries: 0 });
    const made = await openai.chat.completions.create({ model: 'claude-sonnet-4-5', messages: hello, store: true });
    expect(h.fake.requests.at(-1)!.path).toBe('/v1/messages');
    const err = await refused(h, () => openai.chat.completions.retrieve(made.id), NotFoundError);
    expect(err.error).toMatchObject({ code: 'object_not_owned' });
    expect(await h.tollgate.storage.objects.owners([made.id])).toEqual(new Map());
  });
});

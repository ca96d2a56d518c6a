import OpenAI, { NotFoundError, toFile } from 'openai';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import type { CreatedKey } from '../../src/identity/key-service.js';
import type { Storage } from '../../src/storage/ports.js';
import { type Harness, eventually, startHarness } from '../support/harness.js';
import { everyModelRouted } from '../support/routing.js';
import { harnessEngines, teamStart } from '../support/team-storage.js';


/**
 * OpenAI's Conversations API through the gateway and the official SDK: passed through, a free row
 * each, and kept to the team of the key that made the conversation (auth.stored_objects: team);
 * alice (team platform) makes, carol (platform) shares, bob (team data) is told it does not exist.
 */
describe.each(harnessEngines('conversations'))('conversations (%s)', (_, storage: (() => Promise<Storage>) | undefined) => {
  let h: Harness;
  let carol: CreatedKey;
  let bob: CreatedKey;
  const start = teamStart(storage, (t) => ({ h, carol, bob } = t));
  const openai = (key: CreatedKey) => new OpenAI({ apiKey: key.key, baseURL: `${h.url}/v1`, maxRetries: 0 });

  it('serves create, retrieve, update, items and delete as the provider answers them, each a free row', async () => {
    await start();
    const conv = await openai(h.key).conversations.create({ metadata: { topic: 'demo' }, items: [{ type: 'message', role: 'user', content: 'hello' }] });
    expect(conv).toMatchObject({ object: 'conversation', metadata: { topic: 'demo' } });
    expect(conv.id).toMatch(/^conv_/);
    // Byte for byte: the SDK reads back what the fake wrote.
    const raw = await openai(h.key).conversations.retrieve(conv.id).asResponse();
    // Found by route: the gateway lists the items it was created with in the background, which may come after.
    const upstream = h.fake.requests.findLast((r) => r.route === 'openai.conversations.retrieve')!;
    expect(Buffer.from(await raw.arrayBuffer()).equals(upstream.sent)).toBe(true);
    expect(await openai(h.key).conversations.update(conv.id, { metadata: { topic: 'other' } })).toMatchObject({ id: conv.id, metadata: { topic: 'other' } });
    const added = await openai(h.key).conversations.items.create(conv.id, { items: [{ type: 'message', role: 'user', content: 'more' }] });
    expect(added.data).toHaveLength(1);
    const items = [];
    for await (const item of openai(h.key).conversations.items.list(conv.id, { order: 'asc' })) items.push(item);
    expect(items.map((i) => i.type)).toEqual(['message', 'message']);
    expect(await openai(h.key).conversations.items.retrieve(added.data[0]!.id!, { conversation_id: conv.id })).toMatchObject({ id: added.data[0]!.id });
    expect(await openai(h.key).conversations.items.delete(added.data[0]!.id!, { conversation_id: conv.id })).toMatchObject({ id: conv.id, object: 'conversation' });
    // The conversation is still its team's after one of its items was deleted.
    expect(await openai(carol).conversations.retrieve(conv.id)).toMatchObject({ id: conv.id });
    expect(await openai(h.key).conversations.delete(conv.id)).toEqual({ id: conv.id, object: 'conversation.deleted', deleted: true });
    const rows = await h.rows();
    expect(rows.map((r) => r.api)).toEqual([
      'openai.conversations',
      'openai.conversations',
      'openai.conversations',
      'openai.conversation_items',
      'openai.conversation_items',
      'openai.conversation_items',
      'openai.conversation_items',
      'openai.conversations',
      'openai.conversations',
    ]);
    for (const r of rows) expect(r).toMatchObject({ status: 200, outcome: 'ok', costPicos: 0n });
    expect(rows[0]!.responseId).toBe(conv.id);
    // Deleted through the gateway: its owner is forgotten, here and in storage.
    await eventually(async () => expect(await h.tollgate.storage.objects.owners([conv.id])).toEqual(new Map()));
  });

  it('keeps the owners of a conversation items when the conversation is deleted: the provider keeps them (the SDK says so)', async () => {
    await start();
    const conv = await openai(h.key).conversations.create({});
    const added = await openai(h.key).conversations.items.create(conv.id, { items: [{ type: 'message', role: 'user', content: 'kept' }] });
    const item = added.data[0]!.id!;
    await eventually(async () => expect([...(await h.tollgate.storage.objects.owners([conv.id, item])).keys()].sort()).toEqual([conv.id, item].sort()));
    await openai(h.key).conversations.delete(conv.id);
    await eventually(async () => expect(await h.tollgate.storage.objects.owners([conv.id])).toEqual(new Map()));
    // "Delete a conversation. Items in the conversation will not be deleted." (openai-node, conversations.delete)
    expect((await h.tollgate.storage.objects.owners([item])).get(item)).toMatchObject({ keyId: h.key.id, team: 'platform' });
    const named = { model: 'gpt-5', input: [{ type: 'item_reference' as const, id: item }] };
    expect(await openai(carol).responses.create(named)).toMatchObject({ object: 'response' });
    await expect(openai(bob).responses.create(named)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('refuses another team a conversation, its items and a Response in it, with nothing sent upstream; the same team uses them', async () => {
    await start();
    const conv = await openai(h.key).conversations.create({});
    const item = (await openai(h.key).conversations.items.create(conv.id, { items: [{ type: 'message', role: 'user', content: 'hi' }] })).data[0]!;
    await h.mark();
    const asked = h.fake.requests.length;
    const b = openai(bob);
    await expect(b.conversations.retrieve(conv.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(b.conversations.update(conv.id, { metadata: { x: 'y' } })).rejects.toBeInstanceOf(NotFoundError);
    await expect(b.conversations.items.list(conv.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(b.conversations.items.create(conv.id, { items: [{ type: 'message', role: 'user', content: 'x' }] })).rejects.toBeInstanceOf(NotFoundError);
    await expect(b.conversations.items.retrieve(item.id!, { conversation_id: conv.id })).rejects.toBeInstanceOf(NotFoundError);
    await expect(b.conversations.items.delete(item.id!, { conversation_id: conv.id })).rejects.toBeInstanceOf(NotFoundError);
    await expect(b.conversations.delete(conv.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(b.responses.create({ model: 'gpt-5', input: 'more', conversation: conv.id })).rejects.toBeInstanceOf(NotFoundError);
    await expect(b.responses.create({ model: 'gpt-5', input: 'more', conversation: { id: conv.id } })).rejects.toBeInstanceOf(NotFoundError);
    await expect(b.responses.inputTokens.count({ model: 'gpt-5', input: 'more', conversation: conv.id })).rejects.toBeInstanceOf(NotFoundError);
    // An item of the conversation, referenced from a Responses input, is the conversation team's too.
    await expect(b.responses.create({ model: 'gpt-5', input: [{ type: 'item_reference', id: item.id! }] })).rejects.toBeInstanceOf(NotFoundError);
    const err = (await b.conversations.retrieve(conv.id).then(() => undefined, (e: unknown) => e)) as NotFoundError;
    expect(err.error).toMatchObject({ type: 'invalid_request_error', code: 'object_not_owned' });
    expect(err.message).toContain(`No conversation with id '${conv.id}' found`);
    expect(h.fake.requests.length).toBe(asked);
    const refused = await h.rows();
    expect(refused).toHaveLength(12);
    for (const r of refused) expect(r).toMatchObject({ keyId: bob.id, status: 404, outcome: 'rejected', errorType: 'object_not_owned', costPicos: 0n });

    // The same team: a Response in the conversation, whose items the conversation keeps.
    const reply = await openai(carol).responses.create({ model: 'gpt-5', input: 'more', conversation: conv.id });
    expect(reply.conversation).toEqual({ id: conv.id });
    const listed = await openai(carol).conversations.items.list(conv.id, { order: 'asc' });
    expect(listed.data.map((i) => i.type)).toContain('message');
    expect(listed.data.length).toBeGreaterThan(1);
    expect(await openai(carol).responses.create({ model: 'gpt-5', input: [{ type: 'item_reference', id: item.id! }] })).toMatchObject({ object: 'response' });
  });

  it('gives a conversation a Response answer names, made with it, to the key that asked', async () => {
    await start();
    h.fake.script({ conversation: 'conv_madeByAResponse' });
    expect((await openai(h.key).responses.create({ model: 'gpt-5', input: 'hello' })).conversation).toEqual({ id: 'conv_madeByAResponse' });
    const asked = h.fake.requests.length;
    await expect(openai(bob).responses.create({ model: 'gpt-5', input: 'more', conversation: 'conv_madeByAResponse' })).rejects.toBeInstanceOf(NotFoundError);
    expect(h.fake.requests.length).toBe(asked);
    expect(await openai(carol).responses.create({ model: 'gpt-5', input: 'more', conversation: 'conv_madeByAResponse' })).toMatchObject({ object: 'response' });
    await eventually(async () => expect((await h.tollgate.storage.objects.owners(['conv_madeByAResponse'])).get('conv_madeByAResponse')).toMatchObject({ keyId: h.key.id, team: 'platform' }));
  });

  it('refuses another team a conversation made or given items that reference another team item or file, and lets the same team', async () => {
    await start();
    const conv = await openai(h.key).conversations.create({});
    const item = (await openai(h.key).conversations.items.create(conv.id, { items: [{ type: 'message', role: 'user', content: 'hi' }] })).data[0]!;
    const file = await openai(h.key).files.create({ file: await toFile(Buffer.from('%PDF-1.4'), 'notes.pdf'), purpose: 'user_data' });
    const reference = [{ type: 'item_reference' as const, id: item.id! }];
    const withFile = [{ type: 'message' as const, role: 'user' as const, content: [{ type: 'input_file' as const, file_id: file.id }] }];
    const bobs = await openai(bob).conversations.create({});
    await h.mark();
    const asked = h.fake.requests.length;
    await expect(openai(bob).conversations.create({ items: reference })).rejects.toBeInstanceOf(NotFoundError);
    await expect(openai(bob).conversations.create({ items: withFile })).rejects.toBeInstanceOf(NotFoundError);
    await expect(openai(bob).conversations.items.create(bobs.id, { items: reference })).rejects.toBeInstanceOf(NotFoundError);
    await expect(openai(bob).conversations.items.create(bobs.id, { items: withFile })).rejects.toBeInstanceOf(NotFoundError);
    expect(h.fake.requests.length).toBe(asked);
    for (const r of await h.rows()) expect(r).toMatchObject({ keyId: bob.id, status: 404, outcome: 'rejected', errorType: 'object_not_owned' });
    expect(await openai(carol).conversations.create({ items: [...reference, ...withFile] })).toMatchObject({ object: 'conversation' });
  });

  it('lets its team reference at once the items a conversation was created with, which its answer does not list, and refuses another team', async () => {
    await start();
    // The gateway's own listing of the items (with the provider key) is held until the test lets it go.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    h.fake.script({ match: (r) => r.path.endsWith('/items') && r.headers.authorization === 'Bearer sk-upstream-openai', until: held });
    const conv = await openai(h.key).conversations.create({ items: [{ type: 'message', role: 'user', content: 'remember this' }] });
    // The item's id, asked of the provider itself: the creation's answer names none, and a listing through the gateway would record it.
    const listed = (await (await fetch(`${h.fake.url}/v1/conversations/${conv.id}/items`, { headers: { authorization: 'Bearer sk-elsewhere' } })).json()) as { data: { id: string }[] };
    const item = listed.data[0]!.id;
    const reference = (k: CreatedKey) => openai(k).responses.create({ model: 'gpt-5', input: [{ type: 'item_reference', id: item }, { role: 'user', content: 'go on' }] });
    // Asked while the gateway's listing is under way, past the 250 ms a miss reads storage again after: the request waits for it.
    const asked = reference(h.key);
    setTimeout(release, 600);
    expect(await asked).toMatchObject({ object: 'response' });
    expect(await reference(carol)).toMatchObject({ object: 'response' });
    const before = h.fake.requests.length;
    const err = (await reference(bob).then(() => undefined, (e: unknown) => e)) as NotFoundError;
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err.message).toContain(`No item with id '${item}' found`);
    expect(h.fake.requests.length).toBe(before);
    const own = h.fake.requests.filter((r) => r.path === `/v1/conversations/${conv.id}/items` && r.headers.authorization === 'Bearer sk-upstream-openai');
    expect(own).toHaveLength(1);
    expect(own[0]!.query).toMatchObject({ order: 'asc', limit: '100' });
    // Tollgate's own listing is no client's request: no row of its own.
    expect((await h.rows()).filter((r) => r.api === 'openai.conversation_items')).toEqual([]);
    await eventually(async () => expect((await h.tollgate.storage.objects.owners([item])).get(item)).toMatchObject({ keyId: h.key.id, team: 'platform' }));
  });

  it('refuses another team a conversation named by a response.create on a Responses WebSocket', async () => {
    await start();
    const conv = await openai(h.key).conversations.create({});
    const ws = new WebSocket(`${h.url.replace(/^http/, 'ws')}/v1/responses`, { headers: { authorization: `Bearer ${bob.key}` } });
    const got: string[] = [];
    ws.on('message', (d: Buffer) => got.push(d.toString()));
    await new Promise((ok, fail) => ws.once('open', ok).once('error', fail));
    const asked = h.fake.requests.length;
    ws.send(JSON.stringify({ type: 'response.create', model: 'gpt-5', input: 'hi', conversation: conv.id }));
    await eventually(() => expect(got.some((m) => /"type":"(response\.completed|error)"/.test(m))).toBe(true));
    expect(JSON.parse(got.at(-1)!)).toMatchObject({ type: 'error', status: 404, error: { code: 'object_not_owned' } });
    expect(h.fake.requests.length).toBe(asked);
    ws.close();
  });
});

describe('conversations with a configured route for every model', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('are not routed: a conversation names no model and is kept by the one account that made it', async () => {
    h = await startHarness({ routing: everyModelRouted });
    const openai = new OpenAI({ apiKey: h.key.key, baseURL: `${h.url}/v1`, maxRetries: 0 });
    const conv = await openai.conversations.create({ metadata: { topic: 'routed' } });
    expect(await openai.conversations.items.list(conv.id)).toBeDefined();
    await openai.conversations.items.create(conv.id, { items: [{ type: 'message', role: 'user', content: 'hi' }] });
    // Sent as the client wrote them: no route's model written in (the provider refuses an unknown parameter).
    const sent = h.fake.requests.filter((r) => r.method === 'POST').map((r) => r.json as Record<string, unknown>);
    expect(sent).toHaveLength(2);
    for (const body of sent) expect(body).not.toHaveProperty('model');
    const rows = await eventually(async () => {
      const all = await h.rows();
      expect(all).toHaveLength(3);
      return all;
    });
    for (const r of rows) {
      expect(r).toMatchObject({ status: 200, costPicos: 0n, attempts: 1 });
      expect(r.attemptLog).toBeUndefined();
    }
  });
});

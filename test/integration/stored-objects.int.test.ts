import Anthropic, { NotFoundError as AnthropicNotFound, toFile as anthropicFile } from '@anthropic-ai/sdk';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI, { NotFoundError, toFile } from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { type CreatedKey, createKey } from '../../src/identity/key-service.js';
import type { StoredObjectsMode } from '../../src/identity/stored-objects.js';
import type { Storage } from '../../src/storage/ports.js';
import WebSocket from 'ws';
import { type Harness, defaultProviders, eventually, startHarness } from '../support/harness.js';
import { harnessEngines, teamKeys } from '../support/team-storage.js';

const INPUT = JSON.stringify({ custom_id: 'one', method: 'POST', url: '/v1/chat/completions', body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] } }) + '\n';

/**
 * auth.stored_objects through the gateway and the official SDKs: alice (team platform) makes
 * objects; carol (platform) shares them under `team`; bob (team data) is told they do not exist,
 * as the provider tells of an id it does not have, and his lists leave them out.
 */
describe.each(harnessEngines('objects'))('stored objects kept apart by key team (%s)', (_, storage: (() => Promise<Storage>) | undefined) => {
  let h: Harness;
  let carol: CreatedKey;
  let bob: CreatedKey;
  afterEach(() => h.close());
  const start = async (mode?: StoredObjectsMode) => {
    h = await startHarness({ auth: mode === undefined ? {} : { storedObjects: mode }, storage });
    ({ carol, bob } = await teamKeys(h));
  };
  const openai = (key: CreatedKey) => new OpenAI({ apiKey: key.key, baseURL: `${h.url}/v1`, maxRetries: 0 });
  const upstreamAsked = (route: string) => h.fake.requests.filter((r) => r.route === route).length;

  it('refuses another team a file, its content and a batch with the provider not-found, lets the same team in, and lists each key its own', async () => {
    await start();
    const file = await openai(h.key).files.create({ file: await toFile(Buffer.from(INPUT), 'requests.jsonl'), purpose: 'batch' });
    // Asked at once by its creator, as an SDK does after an upload: known before the upload's answer ended.
    expect(await openai(h.key).files.retrieve(file.id)).toMatchObject({ id: file.id });
    const batch = await openai(h.key).batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    await h.mark();
    const asked = upstreamAsked('openai.files.retrieve') + upstreamAsked('openai.batches.retrieve') + upstreamAsked('openai.files.content');
    await expect(openai(bob).files.retrieve(file.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(openai(bob).files.content(file.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(openai(bob).files.delete(file.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(openai(bob).batches.retrieve(batch.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(openai(bob).batches.cancel(batch.id)).rejects.toBeInstanceOf(NotFoundError);
    // Nor may another team run a batch on the file.
    await expect(openai(bob).batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' })).rejects.toBeInstanceOf(NotFoundError);
    const err = (await openai(bob).files.retrieve(file.id).then(() => undefined, (e: unknown) => e)) as NotFoundError;
    expect(err.status).toBe(404);
    expect(err.error).toMatchObject({ type: 'invalid_request_error', code: 'object_not_owned' });
    // None of it reached the provider.
    expect(upstreamAsked('openai.files.retrieve') + upstreamAsked('openai.batches.retrieve') + upstreamAsked('openai.files.content')).toBe(asked);
    const refused = await h.rows();
    expect(refused).toHaveLength(7);
    for (const r of refused) expect(r).toMatchObject({ keyId: bob.id, status: 404, outcome: 'rejected', errorType: 'object_not_owned', costPicos: 0n });

    // The same team: the batch, and the output file its answer names (made by the provider for alice's batch).
    const done = await openai(carol).batches.retrieve(batch.id);
    expect(done.output_file_id).toMatch(/^file-/);
    expect((await (await openai(h.key).files.content(done.output_file_id!)).text()).length).toBeGreaterThan(0);
    await expect(openai(bob).files.content(done.output_file_id!)).rejects.toBeInstanceOf(NotFoundError);

    // Lists: bob sees none of them, carol all of alice's.
    await openai(bob).files.create({ file: await toFile(Buffer.from(INPUT), 'bob.jsonl'), purpose: 'batch' });
    const ids = async (k: CreatedKey) => (await openai(k).files.list()).data.map((f) => f.id);
    expect(await ids(bob)).toHaveLength(1);
    expect(await ids(bob)).not.toContain(file.id);
    expect(await ids(carol)).toContain(file.id);
    expect(await ids(carol)).not.toContain((await ids(bob))[0]);
    expect((await openai(bob).batches.list()).data).toEqual([]);
    expect((await openai(carol).batches.list()).data.map((b) => b.id)).toEqual([batch.id]);
  });

  it('keeps stored Responses to their team: retrieve, delete and a follow-up from another team are refused; the creator asks at once', async () => {
    await start();
    const created = await openai(h.key).responses.create({ model: 'gpt-5', input: 'hello' });
    expect(await openai(h.key).responses.retrieve(created.id)).toMatchObject({ id: created.id });
    await expect(openai(bob).responses.retrieve(created.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(openai(bob).responses.delete(created.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(openai(bob).responses.create({ model: 'gpt-5', input: 'more', previous_response_id: created.id })).rejects.toBeInstanceOf(NotFoundError);
    // Compacting it and counting its tokens read it as a follow-up does.
    await expect(openai(bob).responses.compact({ model: 'gpt-5', previous_response_id: created.id })).rejects.toBeInstanceOf(NotFoundError);
    await expect(openai(bob).responses.inputTokens.count({ model: 'gpt-5', input: 'more', previous_response_id: created.id })).rejects.toBeInstanceOf(NotFoundError);
    expect(await openai(carol).responses.create({ model: 'gpt-5', input: 'more', previous_response_id: created.id })).toMatchObject({ object: 'response' });
    expect(await openai(carol).responses.compact({ model: 'gpt-5', previous_response_id: created.id })).toMatchObject({ object: 'response.compaction' });
    const file = await openai(h.key).files.create({ file: await toFile(Buffer.from(INPUT), 'requests.jsonl'), purpose: 'batch' });
    await eventually(async () => expect((await h.tollgate.storage.objects.owners([created.id, file.id])).size).toBe(2));
    // Deleted through the gateway: their owners are forgotten, here and in storage.
    await openai(carol).responses.delete(created.id);
    await openai(h.key).files.delete(file.id);
    await eventually(async () => expect(await h.tollgate.storage.objects.owners([created.id, file.id])).toEqual(new Map()));
    await expect(openai(h.key).responses.retrieve(created.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('knows a streamed Response from its first event: its creator cancels it while the stream still runs', async () => {
    await start();
    h.fake.script({ stallAfterEvents: 2 });
    const stop = new AbortController();
    const res = await fetch(`${h.url}/v1/responses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${h.key.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-5', input: 'hello', stream: true, background: true }),
      signal: stop.signal,
    });
    const reader = res.body!.getReader();
    let seen = '';
    while (!/"type":"response\.created".*?"id":"(resp_[^"]+)"/.test(seen)) seen += new TextDecoder().decode((await reader.read()).value);
    const id = /"type":"response\.created".*?"id":"(resp_[^"]+)"/.exec(seen)![1]!;
    await expect(openai(bob).responses.cancel(id)).rejects.toBeInstanceOf(NotFoundError);
    expect(await openai(h.key).responses.cancel(id)).toMatchObject({ id, status: 'cancelled' });
    stop.abort();
  });

  it('keeps a Response made over a WebSocket to its team, and refuses a follow-up there that another team sends', async () => {
    await start();
    const socket = async (key: CreatedKey) => {
      const ws = new WebSocket(`${h.url.replace(/^http/, 'ws')}/v1/responses`, { headers: { authorization: `Bearer ${key.key}` } });
      const got: string[] = [];
      ws.on('message', (d: Buffer) => got.push(d.toString()));
      await new Promise((ok, fail) => ws.once('open', ok).once('error', fail));
      const ask = async (body: Record<string, unknown>) => {
        const from = got.length;
        ws.send(JSON.stringify({ type: 'response.create', model: 'gpt-5', input: 'hi', ...body }));
        await eventually(() => expect(got.slice(from).some((m) => /"type":"(response\.completed|error)"/.test(m))).toBe(true));
        return got.slice(from).map((m) => JSON.parse(m) as { type: string; response?: { id: string }; status?: number; error?: { code: string } });
      };
      return { ws, ask };
    };
    const a = await socket(h.key);
    const made = (await a.ask({})).find((e) => e.type === 'response.completed')!.response!.id;
    a.ws.close();
    await expect(openai(bob).responses.retrieve(made)).rejects.toBeInstanceOf(NotFoundError);
    expect(await openai(carol).responses.retrieve(made)).toMatchObject({ id: made });
    const b = await socket(bob);
    expect((await b.ask({ previous_response_id: made })).at(-1)).toMatchObject({ type: 'error', status: 404, error: { code: 'object_not_owned' } });
    const file = await openai(h.key).files.create({ file: await toFile(Buffer.from('%PDF-1.4'), 'notes.pdf'), purpose: 'user_data' });
    expect((await b.ask({ input: [{ role: 'user', content: [{ type: 'input_file', file_id: file.id }] }] })).at(-1)).toMatchObject({ type: 'error', status: 404, error: { code: 'object_not_owned' } });
    b.ws.close();
  });

  it('refuses another team a file named inside a chat message or a Responses input, and lets the same team use it', async () => {
    await start();
    const file = await openai(h.key).files.create({ file: await toFile(Buffer.from('%PDF-1.4'), 'notes.pdf'), purpose: 'user_data' });
    const chat = (k: CreatedKey) => openai(k).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: [{ type: 'text', text: 'summarise' }, { type: 'file', file: { file_id: file.id } }] }] });
    const responses = (k: CreatedKey) =>
      openai(k).responses.create({ model: 'gpt-5', input: [{ role: 'user', content: [{ type: 'input_text', text: 'look' }, { type: 'input_image', file_id: file.id, detail: 'auto' }, { type: 'input_file', file_id: file.id }] }] });
    await h.mark();
    const asked = h.fake.requests.length;
    await expect(chat(bob)).rejects.toBeInstanceOf(NotFoundError);
    await expect(responses(bob)).rejects.toBeInstanceOf(NotFoundError);
    const err = (await chat(bob).then(() => undefined, (e: unknown) => e)) as NotFoundError;
    expect(err.error).toMatchObject({ type: 'invalid_request_error', code: 'object_not_owned' });
    expect(err.message).toContain(file.id);
    expect(h.fake.requests.length).toBe(asked);
    const refused = await h.rows();
    expect(refused).toHaveLength(3);
    for (const r of refused) expect(r).toMatchObject({ keyId: bob.id, status: 404, outcome: 'rejected', errorType: 'object_not_owned' });
    expect(await chat(carol)).toMatchObject({ object: 'chat.completion' });
    expect(await responses(h.key)).toMatchObject({ object: 'response' });
  });

  it('under key: the creating key alone, not its team', async () => {
    await start('key');
    const created = await openai(h.key).responses.create({ model: 'gpt-5', input: 'hello' });
    await expect(openai(carol).responses.retrieve(created.id)).rejects.toBeInstanceOf(NotFoundError);
    expect(await openai(h.key).responses.retrieve(created.id)).toMatchObject({ id: created.id });
  });

  it('under shared: every key reaches every object and sees whole lists, as before the setting', async () => {
    await start('shared');
    const file = await openai(h.key).files.create({ file: await toFile(Buffer.from(INPUT), 'requests.jsonl'), purpose: 'batch' });
    expect(await openai(bob).files.retrieve(file.id)).toMatchObject({ id: file.id });
    expect((await openai(bob).files.list()).data.map((f) => f.id)).toContain(file.id);
    expect(await openai(bob).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: [{ type: 'file', file: { file_id: file.id } }] }] })).toMatchObject({ object: 'chat.completion' });
    // An id Tollgate never saw goes to the provider too.
    await expect(openai(bob).responses.retrieve('resp_madeElsewhere')).resolves.toMatchObject({ id: 'resp_madeElsewhere' });
  });
});

describe('stored objects: Anthropic, Gemini, unknown ids and provider keys', () => {
  let h: Harness;
  let bob: CreatedKey;
  afterEach(() => h.close());
  const start = async () => {
    h = await startHarness({});
    bob = await createKey(h.tollgate.storage.keys, { user: 'bob', team: 'data', project: null });
  };
  const anthropic = (key: string) => new Anthropic({ apiKey: key, baseURL: h.url, maxRetries: 0 });

  it('refuses another team an Anthropic batch, its results and a file with the not_found_error the SDK raises; lists leave them out', async () => {
    await start();
    const batch = await anthropic(h.key.key).messages.batches.create({ requests: [{ custom_id: 'a', params: { model: 'claude-sonnet-4-5', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] } }] });
    const file = await anthropic(h.key.key).beta.files.upload({ file: await anthropicFile(Buffer.from('notes'), 'notes.txt', { type: 'text/plain' }) });
    await expect(anthropic(bob.key).messages.batches.retrieve(batch.id)).rejects.toBeInstanceOf(AnthropicNotFound);
    await expect(anthropic(bob.key).messages.batches.results(batch.id)).rejects.toBeInstanceOf(AnthropicNotFound);
    await expect(anthropic(bob.key).messages.batches.cancel(batch.id)).rejects.toBeInstanceOf(AnthropicNotFound);
    await expect(anthropic(bob.key).beta.files.retrieveMetadata(file.id)).rejects.toBeInstanceOf(AnthropicNotFound);
    const err = (await anthropic(bob.key).beta.files.delete(file.id).then(() => undefined, (e: unknown) => e)) as AnthropicNotFound;
    expect(err.error).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
    const listed = async (key: string) => {
      const out: string[] = [];
      for await (const b of anthropic(key).messages.batches.list()) out.push(b.id);
      for await (const f of anthropic(key).beta.files.list()) out.push(f.id);
      return out;
    };
    expect(await listed(bob.key)).toEqual([]);
    expect(await listed(h.key.key)).toEqual([batch.id, file.id]);
    // The creator still reads its results, through the gateway's results_url.
    for await (const r of await anthropic(h.key.key).messages.batches.results(batch.id)) expect(r.custom_id).toBe('a');
  });

  it('refuses another team an Anthropic file named in a document, an image or a container upload block, and lets its own key use it', async () => {
    await start();
    const file = await anthropic(h.key.key).beta.files.upload({ file: await anthropicFile(Buffer.from('notes'), 'notes.txt', { type: 'text/plain' }) });
    const blocks = [
      [{ type: 'document', source: { type: 'file', file_id: file.id } }],
      [{ type: 'image', source: { type: 'file', file_id: file.id } }],
      [{ type: 'text', text: 'run it' }, { type: 'container_upload', file_id: file.id }],
      [{ type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'image', source: { type: 'file', file_id: file.id } }] }],
    ] as const;
    const ask = (key: string, content: (typeof blocks)[number]) =>
      anthropic(key).beta.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 16, betas: ['files-api-2025-04-14'], messages: [{ role: 'user', content: [...content] as Anthropic.Beta.BetaContentBlockParam[] }] });
    await h.mark();
    const asked = h.fake.requests.length;
    for (const content of blocks) {
      const err = (await ask(bob.key, content).then(() => undefined, (e: unknown) => e)) as AnthropicNotFound;
      expect(err).toBeInstanceOf(AnthropicNotFound);
      expect(err.error).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
    }
    await expect(anthropic(bob.key).messages.countTokens({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'file', file_id: file.id } }] }] })).rejects.toBeInstanceOf(AnthropicNotFound);
    expect(h.fake.requests.length).toBe(asked);
    for (const r of await h.rows()) expect(r).toMatchObject({ keyId: bob.id, status: 404, outcome: 'rejected', errorType: 'object_not_owned' });
    expect(await ask(h.key.key, blocks[0])).toMatchObject({ type: 'message' });
  });

  it('refuses another team a Gemini cache (get, patch, delete, a generateContent naming it) with NOT_FOUND and lists only its own', async () => {
    await start();
    const ask = (key: string, method: string, path: string, body?: unknown) =>
      fetch(`${h.url}${path}`, { method, headers: { 'x-goog-api-key': key, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const made = (await (await ask(h.key.key, 'POST', '/v1beta/cachedContents', { model: 'models/gemini-2.5-flash', contents: [{ role: 'user', parts: [{ text: 'x'.repeat(100) }] }] })).json()) as { name: string };
    const id = made.name.slice('cachedContents/'.length);
    for (const [method, path, body] of [
      ['GET', `/v1beta/cachedContents/${id}`, undefined],
      ['PATCH', `/v1beta/cachedContents/${id}`, { ttl: '60s' }],
      ['DELETE', `/v1beta/cachedContents/${id}`, undefined],
      ['POST', '/v1beta/models/gemini-2.5-flash:generateContent', { cachedContent: made.name, contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }],
    ] as const) {
      const res = await ask(bob.key, method, path, body);
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ error: { code: 404, status: 'NOT_FOUND' } });
    }
    // Named in a chat request, as Gemini's OpenAI-compatible endpoint takes it (extra_body.google.cached_content, merged into the body by the SDK).
    const chat = (key: string) =>
      new OpenAI({ apiKey: key, baseURL: `${h.url}/v1`, maxRetries: 0 }).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], google: { cached_content: made.name } } as OpenAI.ChatCompletionCreateParamsNonStreaming);
    await expect(chat(bob.key)).rejects.toBeInstanceOf(NotFoundError);
    expect(await chat(h.key.key)).toMatchObject({ object: 'chat.completion' });
    expect(await (await ask(bob.key, 'GET', '/v1beta/cachedContents')).json()).toEqual({});
    expect(await (await ask(h.key.key, 'GET', '/v1beta/cachedContents')).json()).toMatchObject({ cachedContents: [{ name: made.name }] });
    expect((await ask(h.key.key, 'GET', `/v1beta/cachedContents/${id}`)).status).toBe(200);
    expect((await ask(h.key.key, 'DELETE', `/v1beta/cachedContents/${id}`)).status).toBe(200);
    await eventually(async () => expect(await h.tollgate.storage.objects.owners([made.name])).toEqual(new Map()));
  });

  it('refuses under team an id Tollgate never saw made, and lets a caller own provider key through to the provider', async () => {
    await start();
    await expect(new OpenAI({ apiKey: h.key.key, baseURL: `${h.url}/v1`, maxRetries: 0 }).responses.retrieve('resp_madeElsewhere')).rejects.toBeInstanceOf(NotFoundError);
    const own = new OpenAI({ apiKey: 'sk-caller-own', baseURL: `${h.url}/v1`, maxRetries: 0 });
    expect(await own.responses.retrieve('resp_madeElsewhere')).toMatchObject({ id: 'resp_madeElsewhere' });
    // A file in its own account, named in a message: not Tollgate's to check either.
    expect(await own.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: [{ type: 'file', file: { file_id: 'file-madeElsewhere' } }] }] })).toMatchObject({ object: 'chat.completion' });
  });
});

describe('a list of stored objects over several upstream pages', () => {
  const files = ['f1', 'f2', 'f3', 'f4', 'f5', 'f6'];
  let server: Server;
  let h: Harness;
  afterEach(async () => {
    await h.close();
    await new Promise((r) => server.close(r));
  });

  it('follows the upstream past pages with none of the caller objects, and an SDK paging on gets each of its own once', async () => {
    // OpenAI's Files list, paged by `limit` and `after`.
    server = createServer((req, res) => {
      const q = new URL(req.url!, 'http://x').searchParams;
      const from = q.has('after') ? files.indexOf(q.get('after')!) + 1 : 0;
      const data = files.slice(from, from + Number(q.get('limit') ?? 10)).map((id) => ({ id, object: 'file', bytes: 1, created_at: 1, filename: `${id}.jsonl`, purpose: 'batch' }));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ object: 'list', data, first_id: data[0]?.id, last_id: data.at(-1)?.id, has_more: from + data.length < files.length }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const upstream = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    h = await startHarness({ providers: (url) => defaultProviders(url).map((p) => (p.dialect === 'openai' ? { ...p, baseUrl: upstream } : p)) });
    const bob = await createKey(h.tollgate.storage.keys, { user: 'bob', team: 'data', project: null });
    const alice = { keyId: h.key.id, team: 'platform' };
    await h.tollgate.storage.objects.add([
      ...['f1', 'f2', 'f3'].map((id) => ({ id, api: 'openai.files', keyId: bob.id, team: 'data', createdAt: 1 })),
      ...['f4', 'f5'].map((id) => ({ id, api: 'openai.files', ...alice, createdAt: 1 })),
    ]);
    const client = (k: CreatedKey) => new OpenAI({ apiKey: k.key, baseURL: `${h.url}/v1`, maxRetries: 0 });
    const first = await client(h.key).files.list({ limit: 2 });
    // The upstream's first page held none of alice's: its second was read for her first.
    expect(first.data.map((f) => f.id)).toEqual(['f4']);
    expect(first.has_more).toBe(true);
    const all = async (k: CreatedKey) => {
      const out: string[] = [];
      for await (const f of client(k).files.list({ limit: 2 })) out.push(f.id);
      return out;
    };
    expect(await all(h.key)).toEqual(['f4', 'f5']);
    expect(await all(bob)).toEqual(['f1', 'f2', 'f3']);
  });
});

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Anthropic, { NotFoundError as AnthropicNotFound } from '@anthropic-ai/sdk';
import OpenAI, { NotFoundError, toFile } from 'openai';
import { describe, expect, it } from 'vitest';
import type { CreatedKey } from '../../src/identity/key-service.js';
import type { Storage } from '../../src/storage/ports.js';
import { type Harness, defaultProviders, eventually } from '../support/harness.js';
import { harnessEngines, refusedUnsent as refused, teamStart } from '../support/team-storage.js';


const CONTAINER = { id: 'container_011Reuse', expires_at: '2026-12-07T12:00:00Z' };
const message = (container: unknown) => ({ id: 'msg_01Reuse', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5', content: [{ type: 'text', text: 'ran' }], stop_reason: 'end_turn', stop_sequence: null, container, usage: { input_tokens: 5, output_tokens: 1 } });
const sse = (type: string, data: Record<string, unknown>) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
const line = (customId: string, fileId: string) =>
  JSON.stringify({ custom_id: customId, method: 'POST', url: '/v1/chat/completions', body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: [{ type: 'text', text: 'read' }, { type: 'file', file: { file_id: fileId } }] }] } }) + '\n';

/**
 * Containers, stored Responses' items and the files a batch's input file names, kept to their team
 * (auth.stored_objects: team) through the official SDKs: alice (team platform) makes them, carol
 * (platform) may use them, bob (data) is told they do not exist, and nothing of his reaches the provider.
 */
describe.each(harnessEngines('reuse'))('containers, items and batch lines kept apart by team (%s)', (_, storage: (() => Promise<Storage>) | undefined) => {
  let h: Harness;
  let carol: CreatedKey;
  let bob: CreatedKey;
  const start = teamStart(storage, (t) => ({ h, carol, bob } = t));
  const openai = (key: CreatedKey) => new OpenAI({ apiKey: key.key, baseURL: `${h.url}/v1`, maxRetries: 0 });
  const anthropic = (key: CreatedKey) => new Anthropic({ apiKey: key.key, baseURL: h.url, maxRetries: 0 });
  const refusedUnsent = (ask: () => Promise<unknown>, NotFound: typeof NotFoundError | typeof AnthropicNotFound) => refused<Error>(h, ask, NotFound);

  it('keeps an Anthropic code execution container to its team, whether its answer came whole or streamed', async () => {
    await start();
    h.fake.script({ match: '/v1/messages', body: message(CONTAINER) });
    const ask = (k: CreatedKey, container?: string) => anthropic(k).messages.create({ model: 'claude-sonnet-4-5', max_tokens: 16, messages: [{ role: 'user', content: 'run it' }], ...(container === undefined ? {} : { container }) });
    expect((await ask(h.key)).container).toMatchObject({ id: CONTAINER.id });
    const err = await refusedUnsent(() => ask(bob, CONTAINER.id), AnthropicNotFound);
    expect(err.message).toContain(`No container with id '${CONTAINER.id}' found`);
    expect(await ask(carol, CONTAINER.id)).toMatchObject({ type: 'message' });
    // Named in a Message Batch's request too.
    const batch = (k: CreatedKey) => anthropic(k).messages.batches.create({ requests: [{ custom_id: 'a', params: { model: 'claude-sonnet-4-5', max_tokens: 8, container: CONTAINER.id, messages: [{ role: 'user', content: 'again' }] } }] });
    await refusedUnsent(() => batch(bob), AnthropicNotFound);

    // Streamed: the container comes in the message_delta.
    const other = { ...CONTAINER, id: 'container_011Streamed' };
    h.fake.script({
      match: '/v1/messages',
      headers: { 'content-type': 'text/event-stream' },
      events: [sse('message_start', { message: { ...message(null), content: [] } }), sse('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null, container: other }, usage: { output_tokens: 1 } }), sse('message_stop', {})],
    });
    const stream = await anthropic(carol).messages.create({ model: 'claude-sonnet-4-5', max_tokens: 16, stream: true, messages: [{ role: 'user', content: 'run it' }] });
    for await (const event of stream) void event;
    await refusedUnsent(() => ask(bob, other.id), AnthropicNotFound);
    expect(await ask(h.key, other.id)).toMatchObject({ type: 'message' });
    // One Tollgate never saw made is refused to its creator too.
    await refusedUnsent(() => ask(h.key, 'container_made_elsewhere'), AnthropicNotFound);
  });

  it('keeps an OpenAI code interpreter container to its team, also one a Response not stored ran in', async () => {
    await start();
    const ran = (id: string) => ({
      id: 'resp_ran',
      object: 'response',
      status: 'completed',
      model: 'gpt-5',
      output: [{ id: 'ci_ran', type: 'code_interpreter_call', status: 'completed', code: 'print(1)', container_id: id, outputs: null }],
      usage: { input_tokens: 5, output_tokens: 1, total_tokens: 6 },
    });
    h.fake.script({ match: '/v1/responses', body: ran('cntr_reuse1') }, { match: '/v1/responses', body: ran('cntr_reuse2') });
    const auto = { type: 'code_interpreter', container: { type: 'auto' } } as const;
    await openai(h.key).responses.create({ model: 'gpt-5', input: 'run', tools: [auto] });
    await openai(h.key).responses.create({ model: 'gpt-5', input: 'run', tools: [auto], store: false });
    const reuse = (k: CreatedKey, container: string) => openai(k).responses.create({ model: 'gpt-5', input: 'again', tools: [{ type: 'code_interpreter', container }] });
    for (const id of ['cntr_reuse1', 'cntr_reuse2']) {
      const err = await refusedUnsent(() => reuse(bob, id), NotFoundError);
      expect((err as NotFoundError).error).toMatchObject({ code: 'object_not_owned' });
      expect(await reuse(carol, id)).toMatchObject({ object: 'response' });
    }
  });

  it('lets a Responses request reference the items of its team stored Responses only, those an input item listing named too', async () => {
    await start();
    const made = await openai(h.key).responses.create({ model: 'gpt-5', input: 'hello' });
    const item = made.output.find((o) => o.type === 'message')!.id;
    const reference = (k: CreatedKey, id: string) => openai(k).responses.create({ model: 'gpt-5', input: [{ type: 'item_reference', id }, { role: 'user', content: 'go on' }] });
    const err = await refusedUnsent(() => reference(bob, item), NotFoundError);
    expect(err.message).toContain(`No item with id '${item}' found`);
    expect(await reference(carol, item)).toMatchObject({ object: 'response' });
    await refusedUnsent(() => reference(h.key, 'msg_neverSeen'), NotFoundError);
    // An input item: its id is known once a listing of them has named it.
    const listed = (await openai(h.key).responses.inputItems.list(made.id)).data.map((i) => i.id);
    expect(listed.length).toBeGreaterThan(0);
    expect(await reference(carol, listed[0]!)).toMatchObject({ object: 'response' });
    await refusedUnsent(() => reference(bob, listed[0]!), NotFoundError);
  });

  it('refuses a batch whose input file names another team file, naming the line, and creates one naming its own', async () => {
    await start();
    const upload = async (k: CreatedKey, text: string, purpose: 'batch' | 'user_data') => openai(k).files.create({ file: await toFile(Buffer.from(text), purpose === 'batch' ? 'requests.jsonl' : 'notes.pdf'), purpose });
    const theirs = await upload(bob, '%PDF-1.4', 'user_data');
    const mine = await upload(h.key, '%PDF-1.4', 'user_data');
    const input = await upload(h.key, line('ok', mine.id) + '\n' + line('sneaky', theirs.id), 'batch');
    const create = (k: CreatedKey, fileId: string) => openai(k).batches.create({ input_file_id: fileId, endpoint: '/v1/chat/completions', completion_window: '24h' });
    const err = (await create(h.key, input.id).then(() => undefined, (e: unknown) => e)) as NotFoundError;
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err.error).toMatchObject({ code: 'object_not_owned' });
    expect(err.message).toContain(`No file with id '${theirs.id}' found (line 3 of the batch's input file ${input.id}, custom_id "sneaky")`);
    expect(h.fake.requests.filter((r) => r.route === 'openai.batches.create')).toHaveLength(0);
    const rows = await h.rows();
    expect(rows.find((r) => r.api === 'openai.batches')).toMatchObject({ keyId: h.key.id, status: 404, outcome: 'rejected', errorType: 'object_not_owned' });
    // Its own team's files are its own: carol runs a batch on alice's input naming alice's file.
    const good = await upload(h.key, line('ok', mine.id), 'batch');
    expect(await create(carol, good.id)).toMatchObject({ object: 'batch' });
  });

  it('forgets the owner of an object the provider no longer has once it answers 404 for it, not of one just made', async () => {
    await start();
    const provider = new OpenAI({ apiKey: 'sk-upstream', baseURL: `${h.fake.url}/v1`, maxRetries: 0 });
    // Made a while ago (its owner recorded then), then expired at the provider: gone from there, not through Tollgate.
    const old = await provider.files.create({ file: await toFile(Buffer.from('%PDF-1.4'), 'old.pdf'), purpose: 'user_data' });
    await h.tollgate.storage.objects.add([{ id: old.id, api: 'openai.files', keyId: h.key.id, team: 'platform', createdAt: Date.now() - 10 * 60_000 }]);
    expect(await openai(h.key).files.retrieve(old.id)).toMatchObject({ id: old.id });
    await provider.files.delete(old.id);
    await expect(openai(h.key).files.retrieve(old.id)).rejects.toBeInstanceOf(NotFoundError);
    await eventually(async () => expect(await h.tollgate.storage.objects.owners([old.id])).toEqual(new Map()));
    // Refused from then on by Tollgate itself, as a deleted object is.
    const err = await refusedUnsent(() => openai(h.key).files.retrieve(old.id), NotFoundError);
    expect((err as NotFoundError).error).toMatchObject({ code: 'object_not_owned' });

    // One just made that the provider does not find (a read that lags its write) keeps its owner.
    const young = await openai(h.key).files.create({ file: await toFile(Buffer.from('%PDF-1.4'), 'new.pdf'), purpose: 'user_data' });
    await provider.files.delete(young.id);
    await expect(openai(h.key).files.retrieve(young.id)).rejects.toBeInstanceOf(NotFoundError);
    const asked = h.fake.requests.length;
    await expect(openai(h.key).files.retrieve(young.id)).rejects.toBeInstanceOf(NotFoundError);
    expect(h.fake.requests.length).toBe(asked + 1);
    await eventually(async () => expect((await h.tollgate.storage.objects.owners([young.id])).size).toBe(1));
  });

  it('keeps the owner of an object another provider of its dialect keeps when the default one answers 404 for it', async () => {
    // A second OpenAI account keeps the file; the first, asked by a lookup without /p/, has none.
    const first = createServer((_req, res) => res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'No such File object', type: 'invalid_request_error', param: 'id', code: null } })));
    await new Promise<void>((r) => first.listen(0, '127.0.0.1', r));
    try {
      const firstUrl = `http://127.0.0.1:${(first.address() as AddressInfo).port}`;
      await start({ providers: (url) => [{ ...defaultProviders(url)[0]!, baseUrl: firstUrl }, { name: 'azure', dialect: 'openai', baseUrl: url, apiKey: 'sk-azure', models: undefined, headers: {}, catalog: 'openai' }] });
      const there = new OpenAI({ apiKey: 'sk-azure', baseURL: `${h.fake.url}/v1`, maxRetries: 0 });
      const file = await there.files.create({ file: await toFile(Buffer.from('%PDF-1.4'), 'kept.pdf'), purpose: 'user_data' });
      await h.tollgate.storage.objects.add([{ id: file.id, api: 'openai.files', keyId: h.key.id, team: 'platform', createdAt: Date.now() - 10 * 60_000 }]);
      await expect(openai(h.key).files.retrieve(file.id)).rejects.toBeInstanceOf(NotFoundError);
      // Still its team's: reached on the provider that keeps it.
      const viaAzure = new OpenAI({ apiKey: h.key.key, baseURL: `${h.url}/p/azure/v1`, maxRetries: 0 });
      expect(await viaAzure.files.retrieve(file.id)).toMatchObject({ id: file.id });
      expect((await h.tollgate.storage.objects.owners([file.id])).size).toBe(1);
    } finally {
      await new Promise((r) => first.close(r));
    }
  });
});

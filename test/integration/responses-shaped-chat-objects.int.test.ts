import OpenAI, { NotFoundError, toFile } from 'openai';
import { describe, expect, it } from 'vitest';
import type { CreatedKey } from '../../src/identity/key-service.js';
import type { Harness } from '../support/harness.js';
import { refusedUnsent, teamStart } from '../support/team-storage.js';

/**
 * A Responses-shaped chat request (Cursor's: `input`, no `messages`) goes upstream as it is, to
 * /v1/responses: what it names (a stored Response it continues, a conversation, a file, a vector
 * store) is another team's only as a Responses request's is.
 */
describe('stored objects named by a Responses-shaped chat request', () => {
  let h: Harness;
  let bob: CreatedKey;
  const start = teamStart(undefined, (t) => ({ h, bob } = t));
  const openai = (key: CreatedKey) => new OpenAI({ apiKey: key.key, baseURL: `${h.url}/v1`, maxRetries: 0 });
  const chat = (key: CreatedKey, body: Record<string, unknown>) => openai(key).post('/chat/completions', { body: { model: 'gpt-5', input: [{ role: 'user', content: [{ type: 'input_text', text: 'go on' }] }], ...body } });

  it('refuses another team the stored Response, conversation, file and vector store it names, with nothing upstream; the same team goes on', async () => {
    await start();
    const alice = openai(h.key);
    const response = await alice.responses.create({ model: 'gpt-5', input: 'hello' });
    const conversation = await alice.conversations.create({});
    const file = await alice.files.create({ file: await toFile(Buffer.from('notes'), 'notes.txt'), purpose: 'user_data' });
    const store = await alice.vectorStores.create({ name: 'kb' });
    await refusedUnsent(h, () => chat(bob, { previous_response_id: response.id }), NotFoundError);
    await refusedUnsent(h, () => chat(bob, { conversation: conversation.id }), NotFoundError);
    await refusedUnsent(h, () => chat(bob, { input: [{ role: 'user', content: [{ type: 'input_file', file_id: file.id }] }] }), NotFoundError);
    await refusedUnsent(h, () => chat(bob, { tools: [{ type: 'file_search', vector_store_ids: [store.id] }] }), NotFoundError);
    const asked = h.fake.requests.length;
    await chat(h.key, { previous_response_id: response.id });
    expect(h.fake.requests.length).toBe(asked + 1);
    expect(h.fake.requests[asked]!.path).toBe('/v1/responses');
  });
});

import OpenAI, { NotFoundError, toFile } from 'openai';
import { describe, expect, it } from 'vitest';
import type { CreatedKey } from '../../src/identity/key-service.js';
import type { Harness } from '../support/harness.js';
import { teamStart } from '../support/team-storage.js';

/**
 * A batch's Responses line may continue a conversation named by its id alone
 * (`"conversation": "conv_…"`): checked as the same request sent alone is, the provider running
 * it with Tollgate's key.
 */
describe('a batch line that continues a conversation', () => {
  let h: Harness;
  let bob: CreatedKey;
  const start = teamStart(undefined, (t) => ({ h, bob } = t));
  const openai = (key: CreatedKey) => new OpenAI({ apiKey: key.key, baseURL: `${h.url}/v1`, maxRetries: 0 });

  it('refuses another team batch whose line names the conversation, before the batch reaches the provider', async () => {
    await start();
    const conversation = await openai(h.key).conversations.create({});
    const line = { custom_id: 'c1', method: 'POST', url: '/v1/responses', body: { model: 'gpt-5', input: 'and then?', conversation: conversation.id } };
    const file = await openai(bob).files.create({ file: await toFile(Buffer.from(`${JSON.stringify(line)}\n`), 'requests.jsonl'), purpose: 'batch' });
    const err = await openai(bob).batches.create({ input_file_id: file.id, endpoint: '/v1/responses', completion_window: '24h' }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as NotFoundError).message).toContain(`No conversation with id '${conversation.id}' found (line 1`);
    expect(h.fake.requests.filter((r) => r.route === 'openai.batches.create')).toHaveLength(0);
  });
});

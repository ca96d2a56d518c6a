import OpenAI, { NotFoundError, toFile } from 'openai';
import { describe, expect, it } from 'vitest';
import type { CreatedKey } from '../../src/identity/key-service.js';
import type { Storage } from '../../src/storage/ports.js';
import { type Harness, eventually } from '../support/harness.js';
import { harnessEngines, refusedUnsent as refused, teamStart } from '../support/team-storage.js';

const jsonl = (lines: object[]) => lines.map((l) => JSON.stringify(l)).join('\n') + '\n';

/** Two Responses stored (the default, and `store: true`), one not stored, one that fails. */
const RESPONSES = jsonl(
  [
    ['kept-1', {}],
    ['kept-2', { store: true }],
    ['unstored-3', { store: false }],
    ['err-4', {}],
  ].map(([id, more]) => ({ custom_id: id, method: 'POST', url: '/v1/responses', body: { model: 'gpt-5', input: id, ...(more as object) } })),
);

/** A chat completion asked to be stored, and one not. */
const CHATS = jsonl(
  [
    ['kept-1', { store: true }],
    ['plain-2', {}],
  ].map(([id, more]) => ({ custom_id: id, method: 'POST', url: '/v1/chat/completions', body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: id }], ...(more as object) } })),
);

interface OutputLine {
  custom_id: string;
  response: { status_code: number; body: { id: string; output?: { id: string }[] } };
}

/**
 * The stored Responses (and their items) and chat completions an OpenAI batch's requests made are
 * its creator's, as those a request answered live are its caller's: alice (team platform) runs the
 * batch, carol (platform) may use them, bob (data) may not, whether the output file is downloaded
 * through the gateway or read by its sweep. A Response made with `store: false` is no one's.
 */
describe.each(harnessEngines('batch_stored'))('what a batch made that the provider keeps (%s)', (_, storage: (() => Promise<Storage>) | undefined) => {
  let h: Harness;
  let carol: CreatedKey;
  let bob: CreatedKey;
  const start = teamStart(storage, (t) => ({ h, carol, bob } = t));
  const openai = (key: CreatedKey) => new OpenAI({ apiKey: key.key, baseURL: `${h.url}/v1`, maxRetries: 0 });
  const submit = async (input: string, endpoint: '/v1/responses' | '/v1/chat/completions') => {
    const file = await openai(h.key).files.create({ file: await toFile(Buffer.from(input), 'requests.jsonl'), purpose: 'batch' });
    return openai(h.key).batches.create({ input_file_id: file.id, endpoint, completion_window: '24h' });
  };
  /** Each succeeded line's answer, by custom_id, as the provider wrote it. */
  const answers = (text: string) => new Map(text.trim().split('\n').map((l) => JSON.parse(l) as OutputLine).filter((l) => l.response.status_code === 200).map((l) => [l.custom_id, l.response.body]));
  const billed = (n: number) => eventually(async () => expect((await h.rows()).filter((r) => r.api === 'openai.batch_request')).toHaveLength(n));
  const refusedUnsent = (ask: () => Promise<unknown>) => refused(h, ask, NotFoundError);
  const alices = async (ids: string[]) =>
    eventually(async () => {
      const owners = await h.tollgate.storage.objects.owners(ids);
      for (const id of ids) expect(owners.get(id)).toEqual({ keyId: h.key.id, team: 'platform' });
    });

  /** Alice and carol retrieve, continue and reference what the batch made; bob is refused each, nothing of his sent. */
  const usedByTheTeamOnly = async (response: { id: string; output?: { id: string }[] }) => {
    const item = response.output!.at(-1)!.id;
    const uses = [
      (k: CreatedKey) => openai(k).responses.retrieve(response.id),
      (k: CreatedKey) => openai(k).responses.create({ model: 'gpt-5', input: 'and then?', previous_response_id: response.id }),
      (k: CreatedKey) => openai(k).responses.create({ model: 'gpt-5', input: [{ type: 'item_reference', id: item }] }),
    ];
    for (const use of uses) {
      const err = await refusedUnsent(() => use(bob));
      expect(err.error).toMatchObject({ code: 'object_not_owned' });
      for (const k of [h.key, carol]) expect(await use(k)).toMatchObject({ object: 'response' });
    }
  };

  it('gives the stored Responses and their items to the batch owner when its output file is downloaded through the gateway, not one made with store false', async () => {
    await start();
    const batch = await submit(RESPONSES, '/v1/responses');
    const done = await openai(h.key).batches.retrieve(batch.id);
    // Downloaded by carol, of alice's team: what it names is the batch owner's, alice's.
    const made = answers(await (await openai(carol).files.content(done.output_file_id!)).text());
    expect([...made.keys()]).toEqual(['kept-1', 'kept-2', 'unstored-3']);
    await billed(3);
    for (const id of ['kept-1', 'kept-2']) {
      const r = made.get(id)!;
      await alices([r.id, ...r.output!.map((o) => o.id)]);
      await usedByTheTeamOnly(r);
    }
    const unstored = made.get('unstored-3')!;
    expect((await h.tollgate.storage.objects.owners([unstored.id, ...unstored.output!.map((o) => o.id)])).size).toBe(0);
    await refusedUnsent(() => openai(h.key).responses.retrieve(unstored.id));
  });

  it('gives them to the batch owner when the sweep reads the output file nobody downloaded', async () => {
    await start({ deferredUsage: { intervalMs: 100, maxAgeMs: 3_600_000, firstAskMs: 0, firstWaitMs: 100 } });
    await submit(RESPONSES, '/v1/responses');
    await billed(3);
    // What the sweep read, as the provider wrote it.
    const output = h.fake.requests.find((r) => r.route === 'openai.files.content' && r.sent.includes('"batch_req_'))!;
    const made = answers(output.sent.toString('utf8'));
    const kept = made.get('kept-1')!;
    await alices([kept.id, ...kept.output!.map((o) => o.id)]);
    await usedByTheTeamOnly(kept);
    expect((await h.tollgate.storage.objects.owners([made.get('unstored-3')!.id])).size).toBe(0);
  });

  it('gives the chat completions of a batch to its owner: the one stored is the team s to retrieve, the one not stored the provider says it does not have', async () => {
    await start();
    const batch = await submit(CHATS, '/v1/chat/completions');
    const done = await openai(h.key).batches.retrieve(batch.id);
    const made = answers(await (await openai(h.key).files.content(done.output_file_id!)).text());
    await billed(2);
    const kept = made.get('kept-1')!.id;
    const plain = made.get('plain-2')!.id;
    await alices([kept, plain]);
    const err = await refusedUnsent(() => openai(bob).chat.completions.retrieve(kept));
    expect(err.error).toMatchObject({ code: 'object_not_owned' });
    for (const k of [h.key, carol]) expect(await openai(k).chat.completions.retrieve(kept)).toMatchObject({ id: kept, object: 'chat.completion' });
    // The output line does not say whether its request asked to store it: recorded all the same, asked of the provider, which has none.
    await refusedUnsent(() => openai(bob).chat.completions.retrieve(plain));
    const asked = h.fake.requests.length;
    await expect(openai(h.key).chat.completions.retrieve(plain)).rejects.toBeInstanceOf(NotFoundError);
    expect(h.fake.requests.slice(asked)).toMatchObject([{ route: 'openai.chat.retrieve', status: 404 }]);
  });
});

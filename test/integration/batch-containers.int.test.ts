import OpenAI, { NotFoundError, toFile } from 'openai';
import { describe, expect, it } from 'vitest';
import type { CreatedKey } from '../../src/identity/key-service.js';
import type { Storage } from '../../src/storage/ports.js';
import { type Harness, eventually } from '../support/harness.js';
import { harnessEngines, refusedUnsent as refused, teamStart } from '../support/team-storage.js';

/** Two Responses requests that run code in a new container each, and one that runs none. */
const INPUT =
  ['code-1', 'code-2', 'plain-3']
    .map((id) => JSON.stringify({ custom_id: id, method: 'POST', url: '/v1/responses', body: { model: 'gpt-5', input: id, ...(id.startsWith('code') ? { tools: [{ type: 'code_interpreter', container: { type: 'auto' } }] } : {}) } }))
    .join('\n') + '\n';

/**
 * The containers an OpenAI batch's Responses ran code in (a code interpreter call's container_id in
 * its output file) are its creator's, as those a Response answered live are its caller's: alice
 * (team platform) runs the batch, carol (platform) may run code in them again, bob (data) may not,
 * whether the output file is downloaded through the gateway or read by its sweep.
 */
describe.each(harnessEngines('batch_containers'))('containers a batch ran code in (%s)', (_, storage: (() => Promise<Storage>) | undefined) => {
  let h: Harness;
  let carol: CreatedKey;
  let bob: CreatedKey;
  const start = teamStart(storage, (t) => ({ h, carol, bob } = t));
  const openai = (key: CreatedKey) => new OpenAI({ apiKey: key.key, baseURL: `${h.url}/v1`, maxRetries: 0 });
  const submit = async () => {
    const input = await openai(h.key).files.create({ file: await toFile(Buffer.from(INPUT), 'requests.jsonl'), purpose: 'batch' });
    return openai(h.key).batches.create({ input_file_id: input.id, endpoint: '/v1/responses', completion_window: '24h' });
  };
  /** The containers an output file's lines name, read as the provider wrote them. */
  const containersIn = (text: string) => [...text.matchAll(/"container_id":\s*"([^"]+)"/g)].map((m) => m[1]!);
  const runIn = (k: CreatedKey, container: string) => openai(k).responses.create({ model: 'gpt-5', input: 'again', tools: [{ type: 'code_interpreter', container }] });
  const refusedUnsent = (ask: () => Promise<unknown>) => refused(h, ask, NotFoundError);

  it('gives them to the batch owner when its output file is downloaded through the gateway', async () => {
    await start();
    const batch = await submit();
    const done = await openai(h.key).batches.retrieve(batch.id);
    expect(done).toMatchObject({ status: 'completed', output_file_id: expect.stringMatching(/^file-/) });
    // Downloaded by carol, of alice's team: the containers are the batch owner's, alice's.
    const text = await (await openai(carol).files.content(done.output_file_id!)).text();
    const containers = containersIn(text);
    expect(containers).toHaveLength(2);
    // Billed as ever, in the background (which asks the provider which batch wrote the file): done before counting what goes upstream.
    await eventually(async () => expect((await h.rows()).filter((r) => r.api === 'openai.batch_request')).toHaveLength(3));
    for (const c of containers) {
      await refusedUnsent(() => runIn(bob, c));
      expect(await runIn(carol, c)).toMatchObject({ object: 'response' });
      expect(await runIn(h.key, c)).toMatchObject({ object: 'response' });
    }
    await eventually(async () => {
      const owners = await h.tollgate.storage.objects.owners(containers);
      for (const c of containers) expect(owners.get(c)).toEqual({ keyId: h.key.id, team: 'platform' });
    });
  });

  it('gives them to the batch owner when the sweep reads the output file nobody downloaded', async () => {
    await start({ deferredUsage: { intervalMs: 100, maxAgeMs: 3_600_000, firstAskMs: 0, firstWaitMs: 100 } });
    const batch = await submit();
    const billed = await eventually(async () => {
      const rows = (await h.rows()).filter((r) => r.api === 'openai.batch_request');
      expect(rows).toHaveLength(3);
      return rows;
    });
    expect(billed[0]).toMatchObject({ keyId: h.key.id, tags: { batch_id: batch.id } });
    // What the sweep read, as the provider wrote it.
    const output = h.fake.requests.find((r) => r.route === 'openai.files.content' && r.sent.includes('container_id'))!;
    const containers = containersIn(output.sent.toString('utf8'));
    expect(containers).toHaveLength(2);
    await eventually(async () => {
      const owners = await h.tollgate.storage.objects.owners(containers);
      for (const c of containers) expect(owners.get(c)).toEqual({ keyId: h.key.id, team: 'platform' });
    });
    await refusedUnsent(() => runIn(bob, containers[0]!));
    expect(await runIn(carol, containers[0]!)).toMatchObject({ object: 'response' });
  });
});

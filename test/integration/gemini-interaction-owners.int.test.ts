import { GoogleGenAI } from '@google/genai';
import { describe, expect, it } from 'vitest';
import type { CreatedKey } from '../../src/identity/key-service.js';
import type { Storage } from '../../src/storage/ports.js';
import type { Harness } from '../support/harness.js';
import { harnessEngines, teamStart } from '../support/team-storage.js';

/**
 * Gemini interactions are stored by the provider (`store` is on by default) under Tollgate's one key:
 * each made through the gateway is its caller's, and auth.stored_objects (team, the default) keeps it
 * to the caller's team: alice (team platform) makes it, carol (platform) shares it, bob (data) is told
 * it does not exist, by every path and by `previous_interaction_id`, nothing of his sent upstream.
 */
describe.each(harnessEngines('gemini_interactions'))('Gemini interaction owners (%s)', (_, storage: (() => Promise<Storage>) | undefined) => {
  let h: Harness;
  let carol: CreatedKey;
  let bob: CreatedKey;
  const start = teamStart(storage, (t) => ({ h, carol, bob } = t));
  const ai = (key: CreatedKey) => new GoogleGenAI({ apiKey: key.key, httpOptions: { baseUrl: h.url } });
  const refused = async (call: () => Promise<unknown>) => {
    const asked = h.fake.arrivals.length;
    const err = await call().then(() => undefined, (e: unknown) => e);
    expect((err as { status?: number; statusCode?: number } | undefined)?.status ?? (err as { statusCode?: number } | undefined)?.statusCode).toBe(404);
    expect(h.fake.arrivals.length).toBe(asked);
  };

  it('keeps an interaction, streamed or not, to its maker and team: lookups, cancel, delete and continuations', async () => {
    await start();
    const made = await ai(h.key).interactions.create({ model: 'gemini-2.5-flash', input: 'Remember 7.' });
    let streamed = '';
    for await (const e of await ai(h.key).interactions.create({ model: 'gemini-2.5-flash', input: 'And 8.', stream: true })) {
      if (e.event_type === 'interaction.created') streamed = e.interaction.id;
    }
    expect(streamed).not.toBe('');
    for (const id of [made.id, streamed]) {
      expect((await ai(carol).interactions.get(id)).id).toBe(id);
      await refused(() => ai(bob).interactions.get(id));
      await refused(() => ai(bob).interactions.cancel(id));
      await refused(() => ai(bob).interactions.delete(id));
      await refused(() => ai(bob).interactions.create({ model: 'gemini-2.5-flash', input: 'What was it?', previous_interaction_id: id }));
    }
    const next = await ai(carol).interactions.create({ model: 'gemini-2.5-flash', input: 'What was it?', previous_interaction_id: made.id });
    // The one carol made from it is her team's too, not bob's.
    await refused(() => ai(bob).interactions.get(next.id));
    await ai(h.key).interactions.delete(made.id);
    const rows = (await h.rows()).filter((r) => r.keyId === bob.id);
    expect(rows).toHaveLength(9);
    for (const r of rows) expect(r).toMatchObject({ status: 404, errorType: 'object_not_owned', outcome: 'rejected', costPicos: 0n });
  });

  it('records a streamed interaction for its caller at its first event, before the stream ends', async () => {
    await start();
    // The stream stops after interaction.created, as a long answer still being written does.
    h.fake.script({ stallAfterEvents: 1 });
    const ac = new AbortController();
    const stream = await ai(h.key).interactions.create({ model: 'gemini-2.5-flash', input: 'Write a lot.', stream: true }, { signal: ac.signal });
    const iterator = stream[Symbol.asyncIterator]();
    const first = (await iterator.next()).value as { event_type: string; interaction: { id: string } };
    expect(first.event_type).toBe('interaction.created');
    expect((await ai(carol).interactions.get(first.interaction.id)).id).toBe(first.interaction.id);
    await refused(() => ai(bob).interactions.get(first.interaction.id));
    ac.abort();
    await iterator.return?.();
  });

  it('refuses a create naming an uploaded file or a cache of another team, and passes those of the team and a web address', async () => {
    await start();
    const file = await ai(h.key).files.upload({ file: new Blob([Buffer.from('%PDF-1.7 report')], { type: 'application/pdf' }), config: { displayName: 'report.pdf' } });
    const cache = await ai(h.key).caches.create({ model: 'gemini-2.5-flash', config: { contents: [{ role: 'user', parts: [{ text: 'a manual' }] }], ttl: '600s' } });
    const withFile = (uri: string) => ({ model: 'gemini-2.5-flash', input: [{ role: 'user', content: [{ type: 'document', uri, mime_type: 'application/pdf' }, { type: 'text', text: 'Summarise it.' }] }] }) as never;
    await refused(() => ai(bob).interactions.create(withFile(file.uri!)));
    await refused(() => ai(bob).interactions.create(withFile(file.name!)));
    await refused(() => ai(bob).interactions.create({ model: 'gemini-2.5-flash', input: 'x', cached_content: cache.name! } as never));
    await ai(carol).interactions.create(withFile(file.uri!));
    await ai(carol).interactions.create({ model: 'gemini-2.5-flash', input: 'x', cached_content: cache.name! } as never);
    await ai(bob).interactions.create(withFile('https://example.com/report.pdf'));
  });

  it('records no owner for an interaction the provider is told not to store', async () => {
    await start();
    const kept = await ai(h.key).interactions.create({ model: 'gemini-2.5-flash', input: 'x' });
    const unkept = await ai(h.key).interactions.create({ model: 'gemini-2.5-flash', input: 'x', store: false });
    await h.rows();
    const owners = await h.tollgate.storage.objects.owners([kept.id, unkept.id]);
    expect(owners.get(kept.id)).toMatchObject({ keyId: h.key.id, team: 'platform' });
    expect(owners.has(unkept.id)).toBe(false);
  });

  it('lets the SDK continue a long answer: its next hop names the interaction the gateway recorded for the caller', async () => {
    await start();
    const first = { id: 'v1_hop1', object: 'interaction', model: 'gemini-2.5-flash', status: 'requires_continuation', continuation_token: 'tok-1', steps: [{ type: 'model_output', content: [{ type: 'text', text: 'Part one, ' }] }], usage: { total_input_tokens: 50, total_output_tokens: 20 } };
    h.fake.script({ body: first });
    h.fake.script({ text: 'part two.', usage: { input: 70, output: 5 } });
    const got = await ai(bob).interactions.create({ model: 'gemini-2.5-flash', input: 'Write a lot.' });
    expect(got.status).toBe('completed');
    const ups = await h.fake.waitForRequests(2);
    const hop = JSON.parse(ups[1]!.body.toString()) as Record<string, unknown>;
    expect(hop).toMatchObject({ previous_interaction_id: 'v1_hop1', continuation_token: 'tok-1' });
    const rows = await h.rows();
    expect(rows.map((r) => [r.api, r.status, r.inputTokens, r.outputTokens])).toEqual([
      ['gemini.interactions', 200, 50, 20],
      ['gemini.interactions', 200, 70, 5],
    ]);
    await refused(() => ai(h.key).interactions.get('v1_hop1'));
  });
});

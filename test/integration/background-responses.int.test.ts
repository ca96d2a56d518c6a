import OpenAI from 'openai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LedgerRow } from '../../src/core/ledger-row.js';
import { budgetCounter } from '../../src/policy/plan.js';
import { budgetInput, parseRule, toBudget } from '../../src/policy/rule-input.js';
import { type Harness, defaultProviders, eventually, startHarness } from '../support/harness.js';
import { sharedLedgers, startReplicas } from '../support/replicas.js';
import { routingFrom } from '../support/routing.js';

/**
 * A background response created through one gateway and looked up finished through another
 * (a second replica, or the same server restarted), both on one ledger: its usage goes onto
 * its creation row, once, and the creator's budgets, shared in Redis, are charged once.
 */
const engines = sharedLedgers('bg');

describe.each(engines)('background responses across gateways on one %s ledger', (_, shared) => {
  const user = toBudget(parseRule(budgetInput, { scope: 'user:alice', window: 'day', limit_usd: 10 }), 'budget', 'config', 0);
  const team = toBudget(parseRule(budgetInput, { scope: 'team:platform', window: 'month', limit_usd: 10 }), 'budget', 'config', 0);
  let a: Harness;
  let b: Harness;

  beforeEach(async () => {
    [a, b] = await startReplicas(shared(), [user, team], { input: 300, output: 80 });
  });
  afterEach(async () => {
    await a.close();
    await b.close();
  });

  const client = (h: Harness) => new OpenAI({ apiKey: a.key.key, baseURL: `${h.url}/v1`, maxRetries: 0 });
  const spent = async () => {
    const p = a.tollgate.policy!;
    const lines = [user, team].map((x) => budgetCounter(p.settings.keyPrefix, x, p.rules.current(), Date.now(), p.settings.timeZone).line);
    return (await p.counters.read(lines)).map((r) => r.spent);
  };
  /** The ledger's rows once the creation row is settled. */
  const settled = (id: string) =>
    eventually(async () => {
      const rows = await a.rows();
      expect(rows.find((r) => r.id === id)?.usageSource).toBe('final');
      return rows;
    });
  const shape = (rows: LedgerRow[]) => rows.map((r) => [r.api, r.model, r.inputTokens, r.outputTokens, r.usageSource, r.costPicos, r.responseId ?? null, r.user, r.team]);

  it('created through one gateway, finished through another: the creation row carries the usage and cost, once; the creator’s budgets see it', async () => {
    const { data: created, response } = await client(a).responses.create({ model: 'gpt-5', input: 'later', background: true }).withResponse();
    const id = response.headers.get('x-tollgate-request-id')!;
    expect(created).toMatchObject({ status: 'queued', usage: null });
    // Committed: the other gateway knows of it only what the shared ledger holds, as a replica or a restarted server would.
    await a.tollgate.flush();
    const done = await client(b).responses.retrieve(created.id);
    expect(done).toMatchObject({ status: 'completed', usage: { input_tokens: 300, output_tokens: 80 } });
    await settled(id);
    await client(b).responses.retrieve(created.id);
    await client(a).responses.retrieve(created.id);
    await new Promise((r) => setTimeout(r, 300));
    await b.tollgate.flush();
    const all = await a.rows();
    expect(shape(all)).toEqual([
      // The test price: a pico per input token, ten per output token, at the model the finished response names.
      ['openai.responses', 'gpt-fake', 300, 80, 'final', 1100n, created.id, 'alice', 'platform'],
      ...Array.from({ length: 3 }, () => ['openai.responses_lookup', 'gpt-fake', 0, 0, 'none', 0n, null, 'alice', 'platform']),
    ]);
    const [total] = await a.tollgate.storage.ledger.aggregate({ by: [], since: all[0]!.ts });
    expect(total).toMatchObject({ requests: 4, inputTokens: 300, outputTokens: 80, costPicos: 1100n });
    await eventually(async () => expect(await spent()).toEqual([1100n, 1100n]));
  });

  it('looked up finished through two gateways at once: billed once, budgets charged once', async () => {
    const { data: created, response } = await client(a).responses.create({ model: 'gpt-5', input: 'later', background: true }).withResponse();
    const id = response.headers.get('x-tollgate-request-id')!;
    await a.tollgate.flush();
    await Promise.all([client(a).responses.retrieve(created.id), client(b).responses.retrieve(created.id), client(b).responses.retrieve(created.id)]);
    await settled(id);
    await new Promise((r) => setTimeout(r, 300));
    await b.tollgate.flush();
    const all = await a.rows();
    expect(all.map((r) => [r.api, r.costPicos])).toEqual([['openai.responses', 1100n], ...Array.from({ length: 3 }, () => ['openai.responses_lookup', 0n])]);
    const [total] = await a.tollgate.storage.ledger.aggregate({ by: [], since: all[0]!.ts });
    expect(total).toMatchObject({ requests: 4, inputTokens: 300, costPicos: 1100n });
    expect(await spent()).toEqual([1100n, 1100n]);
  });

  it('a response created with its usage is not billed again when looked up through another gateway', async () => {
    await client(a).responses.create({ model: 'gpt-5', input: 'now' });
    await a.tollgate.flush();
    await client(b).responses.retrieve('resp_fakeUpstream0001');
    await new Promise((r) => setTimeout(r, 300));
    await b.tollgate.flush();
    const all = await a.rows();
    expect(all.map((r) => [r.api, r.inputTokens, r.costPicos])).toEqual([['openai.responses', 300, 1100n], ['openai.responses_lookup', 0, 0n]]);
    expect(await spent()).toEqual([1100n, 1100n]);
  });
});

describe('a background response created through a configured route', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('after a retried attempt: the delivered attempt gets the usage, and the row stays the sum of its attempts', async () => {
    h = await startHarness({
      routing: (url) =>
        routingFrom(
          { routing: { retry: { backoff_ms: 5, per_deployment: 1 }, affinity: { enabled: false } }, routes: [{ model: 'gpt-5', deployments: [{ provider: 'openai', name: 'bg-a' }, { provider: 'openai', name: 'bg-b' }] }] },
          defaultProviders(url),
        ),
    });
    h.fake.script({ status: 429 });
    h.fake.setDefault({ usage: { input: 300, output: 80 } });
    const client = new OpenAI({ apiKey: h.key.key, baseURL: `${h.url}/v1`, maxRetries: 0 });
    const { data: created, response } = await client.responses.create({ model: 'gpt-5', input: 'later', background: true }).withResponse();
    const id = response.headers.get('x-tollgate-request-id')!;
    expect(created.status).toBe('queued');
    await client.responses.retrieve(created.id);
    const row = await eventually(async () => {
      const r = await h.row(id);
      expect(r.usageSource).toBe('final');
      return r;
    });
    expect(row).toMatchObject({ api: 'openai.responses', attempts: 2, inputTokens: 300, outputTokens: 80, costPicos: 1100n });
    const attempts = await h.tollgate.storage.ledger.attempts(id);
    expect(attempts.map((a) => [a.n, a.status, a.delivered, a.inputTokens, a.outputTokens, a.usageSource, a.costPicos])).toEqual([
      [1, 429, false, 0, 0, 'none', 0n],
      [2, 200, true, 300, 80, 'final', 1100n],
    ]);
  });
});

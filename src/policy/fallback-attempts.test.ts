import { describe, expect, it } from 'vitest';
import { usd } from '../core/money.js';
import type { PriceFn } from '../metering/build-row.js';
import type { AdmitRequest } from './admission.js';
import { budget, setup } from './testing/enforcer.js';

// Picos per token in and out: a 100-byte request with max_tokens 100 is held at $0.20 on
// gpt-5-mini, $0.80 on gpt-5 and $0.10 on gpt-5-nano.
const PER_TOKEN: Record<string, bigint> = { 'gpt-5-mini': 1_000_000_000n, 'gpt-5': 4_000_000_000n, 'gpt-5-nano': 500_000_000n };
const price: PriceFn = (r) => ({ costPicos: BigInt(r.usage.inputTokens + r.usage.outputTokens) * PER_TOKEN[r.model]!, unpriced: false });
const openai = { provider: 'openai', catalogProvider: undefined };
const clock = { now: Date.parse('2026-11-22T12:00:00Z') };
const tick = () => new Promise((r) => setTimeout(r, 0));

let seq = 0;
const request = (): AdmitRequest<typeof openai> => ({ id: `f${++seq}`, caller: { keyId: 'k1', user: 'alice', team: 't', project: null, tags: {} }, model: 'gpt-5-mini', keep: false, bodyBytes: 100, json: {}, maxOutputTokens: 100, resolve: () => openai });

describe('a fallback to a dearer model on a budget admission holds', () => {
  it('is refused when the budget has room for the cheaper model only', async () => {
    const team = budget({ scope: 'team:t', window: 'day', limit_usd: 0.9 });
    const { enforcer, read } = setup([team], clock, undefined, [], [], price);
    const a = await enforcer.admit(request());
    expect(await read(team)).toMatchObject({ held: usd('0.2') });
    expect(await a.attempt(2, 'gpt-5', openai, 'gpt-5')).toMatchObject({ ok: false, error: { code: 'budget_exceeded' } });
    expect(enforcer.stats).toMatchObject({ fallbackHolds: 0, fallbackRefused: 1 });
    a.settle(0n, 0, [{ n: 1, costPicos: 0n }]);
    await tick();
    expect(await read(team)).toMatchObject({ spent: 0n, held: 0n });
  });

  it('is held again at its price once, and covers a cheaper one after it', async () => {
    const team = budget({ scope: 'team:t', window: 'day', limit_usd: 2 });
    const { enforcer, read } = setup([team], clock, undefined, [], [], price);
    const a = await enforcer.admit(request());
    expect(await a.attempt(2, 'gpt-5', openai, 'gpt-5')).toEqual({ ok: true });
    expect(await read(team)).toMatchObject({ held: usd('1') });
    // The same model again, and a cheaper one than both holds: nothing more is reserved.
    expect(await a.attempt(3, 'gpt-5', openai, 'gpt-5')).toEqual({ ok: true });
    expect(await a.attempt(4, 'gpt-5-nano', openai, 'gpt-5-nano')).toEqual({ ok: true });
    expect(enforcer.stats).toMatchObject({ fallbackHolds: 1, fallbackRefused: 0 });
    expect(await read(team)).toMatchObject({ held: usd('1') });
    a.settle(usd('0.5'), 100, [
      { n: 1, costPicos: 0n },
      { n: 2, costPicos: 0n },
      { n: 3, costPicos: usd('0.5') },
      { n: 4, costPicos: 0n },
    ]);
    await tick();
    expect(await read(team)).toMatchObject({ spent: usd('0.5'), held: 0n });
  });
});

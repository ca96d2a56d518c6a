import { describe, expect, it } from 'vitest';
import { GatewayError } from '../core/errors.js';
import { usd } from '../core/money.js';
import type { AdmitRequest } from './admission.js';
import { BatchTotals } from './batch-estimate.js';
import { parseRule, rateLimitInput, toRateLimit } from './rule-input.js';
import { budget, settings, setup } from './testing/enforcer.js';

// Requests that ask for several answers (OpenAI `n`, Gemini `candidateCount`), each billed and each
// up to the cap. Priced at $1 per 1,000 tokens: 100 body bytes and 8 × 100 output tokens is $0.90.

const clock = { now: Date.parse('2026-11-22T10:00:00Z') };
const openai = { provider: 'openai', catalogProvider: undefined };
let seq = 0;

/** A request of 100 body bytes for `choices` answers of up to `cap` output tokens each (null: no cap). */
function request(choices: number | undefined, cap: number | null = 100): AdmitRequest<typeof openai> {
  return { id: `n${++seq}`, caller: { keyId: 'k1', user: 'alice', team: 't', project: null, tags: {} }, model: 'gpt-5', keep: false, bodyBytes: 100, json: {}, maxOutputTokens: cap ?? undefined, choices, resolve: () => openai };
}

const alice = (input: Record<string, unknown> = {}) => budget({ scope: 'user:alice', window: 'day', limit_usd: 10, ...input });

describe('requests for several choices at admission', () => {
  it('reserves every choice at the cap', async () => {
    const b = alice();
    const { enforcer, read } = setup([b], clock);
    const a = await enforcer.admit(request(8));
    expect(await read(b)).toMatchObject({ held: usd('0.9') });
    a.settle(usd('0.9'), 900);
    await expect.poll(async () => (await read(b)).held).toBe(0n);
  });

  it('refuses 8 choices a budget has room for one of, and says the choices are what is large', async () => {
    const b = alice({ limit_usd: '0.5' });
    const { enforcer, read } = setup([b], clock);
    (await enforcer.admit(request(undefined))).settle(0n, 0);
    const err = (await enforcer.admit(request(8)).catch((e: unknown) => e)) as GatewayError;
    expect(err).toBeInstanceOf(GatewayError);
    expect(err.code).toBe('budget_exceeded');
    expect(err.message).toContain('This request could cost more than the daily budget for user:alice allows in total');
    expect(err.message).toContain('this request could cost up to $0.90');
    expect(err.message).toContain('It asks for 8 choices (`n`, `best_of` or `candidateCount`), each billed and each up to 100 output tokens: 800 in all.');
    expect(err.message).toContain('To go on, ask for fewer choices or lower the maximum output tokens,');
    expect(err.details).toMatchObject({ request_choices: 8, request_estimate_usd: '0.9' });
    await expect.poll(async () => (await read(b)).held).toBe(0n);
  });

  it('counts every choice against a tokens-per-minute limit', async () => {
    const tpm = toRateLimit(parseRule(rateLimitInput, { scope: 'user:alice', tpm: 500 }), 'api', 0);
    const { enforcer } = setup([], clock, undefined, [tpm]);
    (await enforcer.admit(request(undefined))).settle(0n, 0);
    await expect(enforcer.admit(request(8))).rejects.toMatchObject({ code: 'rate_limited' });
  });

  it('enforce_max_tokens caps each choice at its share of the room', async () => {
    const b = alice({ limit_usd: '0.5', enforce_max_tokens: true });
    const { enforcer, read } = setup([b], clock);
    const a = await enforcer.admit(request(8));
    // $0.50 is 500 tokens: 100 input, and 400 output shared by 8 choices.
    expect(a.capOutputTokens).toBe(50);
    expect(await read(b)).toMatchObject({ held: usd('0.5') });
  });

  it('enforce_max_tokens writes each choice’s cap, not their sum, when the request fits or sets no cap', async () => {
    const b = alice({ enforce_max_tokens: true });
    const { enforcer, read } = setup([b], clock);
    const a = await enforcer.admit(request(8));
    expect(a.capOutputTokens).toBe(100);
    a.settle(0n, 0);
    await expect.poll(async () => (await read(b)).held).toBe(0n);
    // No cap: each of 4 choices may run to the default; $10 holds 9,900 output tokens, 2,475 each.
    const b2 = alice({ enforce_max_tokens: true });
    const again = setup([b2], clock);
    const uncapped = await again.enforcer.admit(request(4, null));
    expect(uncapped.capOutputTokens).toBe(2475);
    expect(await again.read(b2)).toMatchObject({ held: usd('10') });
  });

  it('refuses under enforce_max_tokens when not even one token a choice fits', async () => {
    const b = alice({ limit_usd: '0.5', enforce_max_tokens: true });
    const { enforcer } = setup([b], clock);
    await expect(enforcer.admit(request(401))).rejects.toMatchObject({ code: 'budget_exceeded', message: expect.stringContaining('It asks for 401 choices') });
  });

  it('shares a fallback’s room among the choices when its budget enforces max tokens', async () => {
    const mini = budget({ scope: 'model:gpt-5-mini', window: 'day', limit_usd: '0.5', enforce_max_tokens: true });
    const { enforcer, read } = setup([budget({ scope: 'model:gpt-5', window: 'day', limit_usd: 10 }), mini], clock);
    const a = await enforcer.admit(request(8));
    expect(await a.attempt(2, 'gpt-5-mini', openai, 'gpt-5-mini')).toEqual({ ok: true, capOutputTokens: 50 });
    expect(await read(mini)).toMatchObject({ held: usd('0.5') });
  });

  it('estimates a batch’s requests with their choices', () => {
    const t = new BatchTotals(settings);
    t.add({ model: 'gpt-5', json: {}, bodyBytes: 100, maxOutputTokens: 100, choices: 8 });
    t.add({ model: 'gpt-5', json: {}, bodyBytes: 100, maxOutputTokens: 100 });
    expect(t.totals).toEqual([{ model: 'gpt-5', requests: 2, inputTokens: 200, outputTokens: 900 }]);
  });
});

import { describe, expect, it } from 'vitest';
import { usd } from '../core/money.js';
import type { PriceFn } from '../metering/build-row.js';
import type { AdmitRequest } from './admission.js';
import { serverFallbackModels } from './server-fallbacks.js';
import { budget, setup } from './testing/enforcer.js';

// Haiku at $1 per 1,000 tokens, Opus at $5: a 100-byte request with max_tokens 100 is $0.20 on Haiku, $1.00 on Opus.
const price: PriceFn = (r) => ({ costPicos: BigInt(r.usage.inputTokens + r.usage.outputTokens) * (r.model.includes('opus') ? 5_000_000_000n : 1_000_000_000n), unpriced: false });
const clock = { now: Date.parse('2026-12-08T10:00:00Z') };
const anthropic = { provider: 'anthropic', catalogProvider: undefined };
let seq = 0;

function request(fallbacks: unknown): AdmitRequest<typeof anthropic> {
  return { id: `f${++seq}`, caller: { keyId: 'k1', user: 'alice', team: 't', project: null, tags: {} }, model: 'claude-haiku-4-5', keep: false, bodyBytes: 100, json: { model: 'claude-haiku-4-5', fallbacks }, maxOutputTokens: 100, resolve: () => anthropic };
}

describe('a request with server-side fallbacks at admission', () => {
  it('holds what its dearest fallback would cost, since the API may serve it and bills it at its own price', async () => {
    const b = budget({ scope: 'user:alice', window: 'day', limit_usd: 10 });
    const { enforcer, read } = setup([b], clock, undefined, [], [], price);
    await enforcer.admit(request([{ model: 'claude-opus-4-8' }]));
    expect(await read(b)).toMatchObject({ held: usd('1') });
    await enforcer.admit(request([{ model: 'claude-haiku-4-5-20251001' }]));
    expect(await read(b)).toMatchObject({ held: usd('1.2') });
  });

  it('is refused where its fallback would not fit the budget, though its own model would', async () => {
    const b = budget({ scope: 'user:alice', window: 'day', limit_usd: '0.5' });
    const { enforcer } = setup([b], clock, undefined, [], [], price);
    await expect(enforcer.admit(request([{ model: 'claude-opus-4-8' }]))).rejects.toMatchObject({ code: 'budget_exceeded' });
    await expect(enforcer.admit(request(undefined))).resolves.toBeDefined();
  });
});

describe('serverFallbackModels', () => {
  it('reads each named model and skips what names none', () => {
    expect(serverFallbackModels({ fallbacks: [{ model: 'a' }, { nonsense: true }, 'x', null, { model: '' }, { model: 'b' }] })).toEqual(['a', 'b']);
    expect(serverFallbackModels({ fallbacks: 'a' })).toEqual([]);
    expect(serverFallbackModels(null)).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import { usd } from '../core/money.js';
import type { AdmitRequest } from './admission.js';
import { budget, settings, setup } from './testing/enforcer.js';

let seq = 0;
function request(): AdmitRequest<{ provider: string; catalogProvider: undefined }> {
  return { id: `lease${++seq}`, caller: { keyId: 'k1', user: 'alice', team: 't', project: null, tags: {} }, model: 'gpt-5', keep: false, bodyBytes: 100, json: {}, maxOutputTokens: 100, resolve: () => ({ provider: 'openai', catalogProvider: undefined }) };
}

describe('lease renewal', () => {
  it('keeps the hold of a request running longer than the lease, and counts its cost when it ends', async () => {
    const clock = { now: Date.parse('2026-11-22T10:00:00Z') };
    const b = budget({ scope: 'user:alice', window: 'day', limit_usd: 1 });
    const { enforcer, read } = setup([b], clock);
    const long = await enforcer.admit(request()); // holds $0.20
    clock.now += settings.leaseMs / 2;
    await enforcer.renewLeases();
    // Past its first lease, still running: the next request's sweep leaves its hold.
    clock.now += settings.leaseMs / 2 + 1;
    const next = await enforcer.admit(request());
    expect(await read(b)).toEqual({ spent: 0n, held: usd('0.4'), initialized: true });
    next.settle(usd('0.1'), 100);
    long.settle(usd('0.15'), 150);
    await new Promise((r) => setTimeout(r, 0));
    expect(await read(b)).toEqual({ spent: usd('0.25'), held: 0n, initialized: true });
    await enforcer.close();
  });

  it('renews only holds not settled yet, so a settled request is not held again', async () => {
    const clock = { now: Date.parse('2026-11-22T10:00:00Z') };
    const b = budget({ scope: 'user:alice', window: 'day', limit_usd: 1 });
    const { enforcer, read } = setup([b], clock);
    (await enforcer.admit(request())).settle(usd('0.05'), 50);
    await new Promise((r) => setTimeout(r, 0));
    await enforcer.renewLeases();
    expect(await read(b)).toEqual({ spent: usd('0.05'), held: 0n, initialized: true });
    await enforcer.close();
  });
});

import { describe, expect, it } from 'vitest';
import { usd } from '../core/money.js';
import type { AdmitRequest } from './admission.js';
import { parseRule, poolInput, toBudget } from './rule-input.js';
import { budget, setup } from './testing/enforcer.js';

let seq = 0;
/** Estimated at $0.20 by the test pricer. */
function request(user = 'alice'): AdmitRequest<{ provider: string; catalogProvider: undefined }> {
  return { id: `h${++seq}`, caller: { keyId: 'k1', user, team: 't', project: null, tags: {} }, model: 'gpt-5', keep: false, bodyBytes: 100, json: {}, maxOutputTokens: 100, resolve: () => ({ provider: 'openai', catalogProvider: undefined }) };
}

describe('x-tollgate-budget-remaining', () => {
  const clock = { now: Date.parse('2026-11-22T10:00:00Z') };
  const pool = toBudget(parseRule(poolInput, { id: 'shared', scope: 'team:t', window: 'day', limit_usd: 10 }), 'pool', 'api', 0);
  const own = budget({ scope: 'user:alice', window: 'day', limit_usd: 1, pool: 'shared' });

  it('gives the budget its room before the request while the budget pays', async () => {
    const { enforcer } = setup([pool, own], clock);
    const a = await enforcer.admit(request());
    expect(a.pool).toBeNull();
    expect(a.headers['x-tollgate-budget-remaining']).toMatch(/^1(\.0+)?; scope=user:alice; window=day; /);
  });

  it('gives the pool its room before the request once the pool pays for a budget that is spent', async () => {
    const { enforcer, read } = setup([pool, own], clock);
    for (let i = 0; i < 9; i++) (await enforcer.admit(request())).settle(usd('0.1'), 100);
    await new Promise((r) => setTimeout(r, 0));
    expect((await read(own)).spent).toBe(usd('0.9'));
    // $0.10 left on alice's budget, less than the $0.20 estimate: the pool pays, and alice's level holds none of it.
    const a = await enforcer.admit(request());
    expect(a.pool).toBe('shared');
    expect(a.headers['x-tollgate-budget-remaining']).toMatch(/^10(\.0+)?; scope=team:t; window=day; /);
  });

  it('gives a rolling window the moment all it counts now has aged out, as its refusal does', async () => {
    const rolling = budget({ scope: 'user:alice', window: '5h', limit_usd: 1 });
    const { enforcer } = setup([rolling], clock);
    const a = await enforcer.admit(request());
    // 5-minute buckets: the request's, 10:00 to 10:05, leaves the window at 15:05.
    expect(a.headers['x-tollgate-budget-remaining']).toMatch(/; window=5h; resets=2026-11-22T15:05:00.000Z$/);
  });
});

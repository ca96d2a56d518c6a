import { describe, expect, it } from 'vitest';
import type { GatewayError } from '../core/errors.js';
import { usd } from '../core/money.js';
import type { AdmitRequest } from './admission.js';
import { budgetExceeded } from './refusal.js';
import { parseRule, poolInput, toBudget } from './rule-input.js';
import type { Budget } from './rules.js';
import { budget, setup } from './testing/enforcer.js';
import { type PolicyEvents, noEvents } from './threshold-watch.js';

let seq = 0;
/** Estimated at $0.20 by the test price (100 bytes in, 100 tokens out). */
function request(): AdmitRequest<{ provider: string; catalogProvider: undefined }> {
  return { id: `p${++seq}`, caller: { keyId: 'k1', user: 'alice', team: 't', project: null, tags: {} }, model: 'gpt-5', keep: false, bodyBytes: 100, json: {}, maxOutputTokens: 100, resolve: () => ({ provider: 'openai', catalogProvider: undefined }) };
}

const pool = (scope: string, limit: number, name?: string) => toBudget(parseRule(poolInput, { id: 'shared', scope, window: 'month', limit_usd: limit, ...(name ? { name } : {}) }), 'pool', 'api', 0);

describe('a refusal by a pool', () => {
  const clock = { now: Date.parse('2026-11-22T10:00:00Z') };

  it('names the pool that had no room, with its spend, reset and remedy, and the budget that draws on it', async () => {
    const refused: { b: Budget; level: bigint; limit: bigint }[] = [];
    const events: PolicyEvents = { ...noEvents, refused: (b, _id, _caller, level, limit) => refused.push({ b, level, limit }) };
    const alice = budget({ scope: 'user:alice', window: 'day', limit_usd: 0.1, pool: 'shared' });
    const { enforcer } = setup([pool('team:t', 0.3), alice], clock, events);
    // Larger than alice's own $0.10: the pool pays.
    expect((await enforcer.admit(request())).pool).toBe('shared');
    const err = (await enforcer.admit(request()).catch((e: unknown) => e)) as GatewayError;
    expect(err.code).toBe('budget_exceeded');
    expect(err.message).toMatch(/^Budget exceeded: the monthly pool shared for team:t has no room for this request \(\$0\.20 of \$0\.30 is spent or held by requests in flight, and this request could cost up to \$0\.20\)\. The daily budget for user:alice, which draws on it, has no room either\. /);
    expect(err.message).toContain('It resets at 2026-12-01T00:00:00+01:00.');
    expect(err.message).toContain('--scope team:t ');
    expect(err.details).toMatchObject({ budget_id: 'shared', kind: 'pool', scope: 'team:t', window: 'month', member_budget_id: alice.id, member_scope: 'user:alice', limit_usd: '0.3', used_usd: '0.2', resets_at: '2026-11-30T23:00:00.000Z' });
    expect(err.details?.remedy).toContain('--scope team:t ');
    expect(refused.map((r) => ({ id: r.b.id, level: r.level, limit: r.limit }))).toEqual([{ id: 'shared', level: usd('0.2'), limit: usd('0.3') }]);
  });

  it('stays the budget’s own when its pool does not cover the caller, so could not pay', async () => {
    const alice = budget({ scope: 'user:alice', window: 'day', limit_usd: 0.1, pool: 'shared' });
    const { enforcer } = setup([pool('team:other', 10), alice], clock);
    const err = (await enforcer.admit(request()).catch((e: unknown) => e)) as GatewayError;
    expect(err.message).toMatch(/^This request could cost more than the daily budget for user:alice allows in total/);
    expect(err.details).toMatchObject({ budget_id: alice.id, scope: 'user:alice' });
    expect(err.details).not.toHaveProperty('kind');
    expect(err.details).not.toHaveProperty('member_budget_id');
  });

  it('gives its alert the reset the refusal gives, a rolling window’s when what it counts now has aged out', async () => {
    const resets: number[] = [];
    const events: PolicyEvents = { ...noEvents, refused: (_b, _id, _caller, _level, _limit, _start, resetsAt) => resets.push(resetsAt) };
    const { enforcer } = setup([budget({ scope: 'user:alice', window: '5h', limit_usd: 0.1 })], clock, events);
    const err = (await enforcer.admit(request()).catch((e: unknown) => e)) as GatewayError;
    // 5-minute buckets: the request's, 10:00 to 10:05, leaves the window at 15:05.
    expect(err.details?.resets_at).toBe('2026-11-22T15:05:00.000Z');
    expect(resets.map((t) => new Date(t).toISOString())).toEqual(['2026-11-22T15:05:00.000Z']);
  });

  it('names a pool by its name and id', () => {
    const e = budgetExceeded(pool('org', 5, 'Company pool'), usd('5'), usd('5'), usd('0.5'), Date.UTC(2026, 11, 1), { showAmounts: false, timeZone: 'UTC' });
    expect(e.message).toMatch(/^Budget exceeded: the monthly pool "Company pool" \(shared\) for org has no room for this request \(100% of it is used\)\. It resets/);
  });
});

import { describe, expect, it } from 'vitest';
import type { GatewayError } from '../core/errors.js';
import type { AdmitRequest } from './admission.js';
import { CountersUnavailable } from './counters/port.js';
import { parseRule, poolInput, toBudget } from './rule-input.js';
import { budget, setup } from './testing/enforcer.js';

const clock = { now: Date.parse('2026-11-22T12:00:00Z') };
const request = (team: string): AdmitRequest<{ provider: string; catalogProvider: undefined }> => ({
  id: `r-${team}`,
  caller: { keyId: 'k1', user: 'alice', team, project: null, tags: {} },
  model: 'gpt-5',
  keep: false,
  bodyBytes: 100,
  json: {},
  maxOutputTokens: 100,
  resolve: () => ({ provider: 'openai', catalogProvider: undefined }),
});

describe('fail mode while the counters do not answer', () => {
  it('refuses a request a pool set fail closed may pay for, though its budget is open', async () => {
    const pool = toBudget(parseRule(poolInput, { id: 'platform-pool', scope: 'team:platform', window: 'month', limit_usd: 100, fail: 'closed' }), 'pool', 'api', 0);
    const own = budget({ scope: 'user:alice', window: 'day', limit_usd: 1, pool: 'platform-pool' });
    const { enforcer, counters } = setup([pool, own], clock);
    counters.reserve = () => Promise.reject(new CountersUnavailable('Redis: down'));
    const err = (await enforcer.admit(request('platform')).catch((e: unknown) => e)) as GatewayError;
    expect(err).toMatchObject({ code: 'budget_unavailable', status: 503 });
    expect(err.message).toContain('team:platform');
    expect(enforcer.stats).toMatchObject({ failClosed: 1, failOpen: 0 });
    // A caller outside the pool's scope cannot draw on it: its own open budget admits.
    const open = await enforcer.admit(request('web'));
    open.settle(0n, 0);
    expect(enforcer.stats).toMatchObject({ failClosed: 1, failOpen: 1 });
  });
});

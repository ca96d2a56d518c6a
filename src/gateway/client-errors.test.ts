import { describe, expect, it } from 'vitest';
import { GatewayError } from '../core/errors.js';
import { renderAnthropicError } from '../providers/anthropic/render-error.js';
import { renderOpenaiError } from '../providers/openai/render-error.js';
import { forClient } from './client-errors.js';

const budget = () =>
  new GatewayError('budget_exceeded', 'Budget exceeded: the daily budget for user:dave has no room for this request.', {
    details: { budget_id: 'b1', resets_at: '2026-12-07T00:00:00.000Z' },
    headers: { 'x-should-retry': 'false' },
  });

describe('forClient', () => {
  it('answers Codex a budget refusal as the usage limit it stops on and shows, with the reset time', () => {
    const r = renderOpenaiError(forClient(budget(), 'codex'));
    expect(r.status).toBe(429);
    expect(r.headers['x-should-retry']).toBe('false');
    expect(JSON.parse(r.body)).toMatchObject({
      error: { type: 'usage_limit_reached', code: 'budget_exceeded', plan_type: 'team', resets_at: Date.UTC(2026, 11, 7) / 1000, tollgate: { budget_id: 'b1' } },
    });
  });

  it('answers Codex other final refusals with a 400, which it shows at once instead of retrying', () => {
    const e = forClient(new GatewayError('model_not_allowed', 'gpt-5 is not allowed for team:web.'), 'codex');
    expect([e.status, e.code, e.outcome]).toEqual([400, 'model_not_allowed', 'rejected']);
    expect(JSON.parse(renderOpenaiError(e).body)).toMatchObject({ error: { type: 'invalid_request_error', code: 'model_not_allowed' } });
  });

  it('answers Claude Code a model policy refusal, and a 404 that names the path meant, with a 400: it takes a 403 for a failed login and a 404 for a model', () => {
    const e = forClient(new GatewayError('model_not_allowed', 'Model claude-opus-4-8 is not allowed for user:dave.'), 'claude-code');
    expect([e.status, e.code, e.outcome]).toEqual([400, 'model_not_allowed', 'rejected']);
    expect(JSON.parse(renderAnthropicError(e, 'r1').body)).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', message: 'Model claude-opus-4-8 is not allowed for user:dave.' } });
    const wrongBase = forClient(new GatewayError('unknown_route', 'Tollgate does not serve POST /v1/v1/messages. It serves POST /v1/messages.', { details: { served_path: '/v1/messages' } }), 'claude-code');
    expect(wrongBase.status).toBe(400);
    expect(forClient(new GatewayError('unknown_provider', 'No provider named "typo" is configured.'), 'claude-code').status).toBe(400);
    const unknown = new GatewayError('unknown_route', 'Tollgate does not serve POST /v1/nothing.');
    expect(forClient(unknown, 'claude-code')).toBe(unknown);
    const big = new GatewayError('body_too_large', 'too large');
    expect(forClient(big, 'claude-code')).toBe(big);
  });

  it('leaves every other client, and refusals a retry may get through, as they are', () => {
    const b = budget();
    expect(forClient(b, 'claude-code')).toBe(b);
    expect(forClient(b, null)).toBe(b);
    const limited = new GatewayError('rate_limited', 'Rate limit: retry after 3 s.', { headers: { 'retry-after': '3' } });
    expect(forClient(limited, 'codex')).toBe(limited);
    const down = new GatewayError('upstream_unreachable', 'down');
    expect(forClient(down, 'codex')).toBe(down);
    expect(renderOpenaiError(b).status).toBe(402);
  });
});

import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../core/errors.js';
import { type RouteEnv, planRoute } from './plan.js';
import type { RoutingRule } from './rule.js';
import { type RouteRequest, RuleRouter } from './router.js';

const req: RouteRequest = { api: 'anthropic.messages', model: 'claude-sonnet-4-5', keyId: null, user: 'alice', team: null, project: null, tags: {}, headers: {}, json: { messages: [] }, maxOutputTokens: 100 };
const providers: Record<string, string> = { anthropic: 'anthropic', 'anthropic-eu': 'anthropic' };
const env = (denied: string[] = []): RouteEnv => ({
  allowed: (m) => !denied.includes(m),
  select: (model, name) => {
    if (name !== undefined && !providers[name]) throw new GatewayError('unknown_provider', name);
    if (model.startsWith('gpt-')) throw new GatewayError('no_provider', 'no openai provider');
    return { name: name ?? 'anthropic', catalog: 'anthropic' };
  },
  deployment: (id, model) => (id === 'ant-eu' ? { name: 'anthropic-eu', catalog: 'anthropic', upstreamModel: model } : id === 'local-qwen' ? { name: 'vllm', catalog: undefined, upstreamModel: 'qwen3-coder' } : undefined),
});
const rules = (...r: RoutingRule[]) => new RuleRouter(r);

describe('planRoute', () => {
  it('an enforced rule serves its model, and is priced against the requested one where it would have gone', () => {
    const plan = planRoute(rules({ id: 'r', mode: 'enforce', match: {}, action: { model: 'claude-haiku-4-5', provider: 'anthropic-eu' } }), req, env());
    expect(plan).toEqual({ rule: 'r', mode: 'enforce', model: 'claude-haiku-4-5', provider: 'anthropic-eu', fallback: true, counterpart: { model: 'claude-sonnet-4-5', provider: 'anthropic', catalogProvider: 'anthropic' } });
  });

  it('falls back to the requested model by default, unless the rule says not to or pins a deployment', () => {
    const plan = (action: RoutingRule['action']) => planRoute(rules({ id: 'r', mode: 'enforce', match: {}, action }), req, env());
    expect(plan({ model: 'claude-haiku-4-5' })?.fallback).toBe(true);
    expect(plan({ model: 'claude-haiku-4-5', fallback: false })).not.toHaveProperty('fallback');
    expect(plan({ deployment: 'ant-eu' })).not.toHaveProperty('fallback');
    expect(plan({ deployment: 'ant-eu', fallback: true })?.fallback).toBe(true);
    expect(planRoute(rules({ id: 's', mode: 'shadow', match: {}, action: { model: 'claude-haiku-4-5' } }), req, env())).not.toHaveProperty('fallback');
  });

  it('a shadow rule keeps the requested model, and is priced against its own model and provider', () => {
    const plan = planRoute(rules({ id: 's', mode: 'shadow', match: {}, action: { model: 'claude-haiku-4-5', provider: 'anthropic-eu' } }), req, env());
    expect(plan).toEqual({ rule: 's', mode: 'shadow', model: 'claude-sonnet-4-5', provider: undefined, counterpart: { model: 'claude-haiku-4-5', provider: 'anthropic-eu', catalogProvider: 'anthropic' } });
  });

  it('passes over rules whose model the caller may not use or no provider of the dialect serves', () => {
    const r = rules(
      { id: 'denied', mode: 'enforce', match: {}, action: { model: 'claude-opus-4-1' } },
      { id: 'other-dialect', mode: 'enforce', match: {}, action: { model: 'gpt-5-mini' } },
      { id: 'shadow-denied', mode: 'shadow', match: {}, action: { model: 'claude-opus-4-1' } },
    );
    expect(planRoute(r, req, env(['claude-opus-4-1']))).toBeUndefined();
    expect(planRoute(r, req, env())?.rule).toBe('denied');
  });

  it('an enforced rule may send the request to a named deployment, keeping the asked model unless it names one', () => {
    const plan = planRoute(rules({ id: 'eu', mode: 'enforce', match: {}, action: { deployment: 'ant-eu' } }), req, env());
    expect(plan).toEqual({ rule: 'eu', mode: 'enforce', model: 'claude-sonnet-4-5', provider: undefined, deployment: 'ant-eu', counterpart: { model: 'claude-sonnet-4-5', provider: 'anthropic', catalogProvider: 'anthropic' } });
    const local = planRoute(rules({ id: 'local', mode: 'enforce', match: {}, action: { model: 'qwen', deployment: 'local-qwen' } }), req, env());
    expect(local).toMatchObject({ model: 'qwen', deployment: 'local-qwen' });
  });

  it('a shadow rule naming a deployment changes nothing and is priced at that deployment and its upstream model', () => {
    const plan = planRoute(rules({ id: 's', mode: 'shadow', match: {}, action: { deployment: 'local-qwen' } }), req, env());
    expect(plan).toEqual({ rule: 's', mode: 'shadow', model: 'claude-sonnet-4-5', provider: undefined, counterpart: { model: 'qwen3-coder', provider: 'vllm', catalogProvider: undefined } });
    expect(plan).not.toHaveProperty('deployment');
  });

  it('passes over a rule whose deployment does not serve this dialect (or does not exist)', () => {
    const r = rules({ id: 'gone', mode: 'enforce', match: {}, action: { deployment: 'openai-only' } }, { id: 'next', mode: 'enforce', match: {}, action: { model: 'claude-haiku-4-5' } });
    expect(planRoute(r, req, env())).toMatchObject({ rule: 'next', model: 'claude-haiku-4-5' });
    expect(planRoute(r, req, env())).not.toHaveProperty('deployment');
    const e = env();
    const noRouter: RouteEnv = { allowed: () => true, select: (m, p) => e.select(m, p) };
    expect(planRoute(rules({ id: 'gone', mode: 'shadow', match: {}, action: { deployment: 'ant-eu' } }), req, noRouter)).toBeUndefined();
  });
});

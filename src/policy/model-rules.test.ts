import { describe, expect, it } from 'vitest';
import { decideModel } from './model-rules.js';
import type { ModelPolicy } from './rules.js';
import { parseScope } from './scope.js';

const who = { keyId: 'k1', user: 'alice', team: 'web', project: null, tags: {} };

function policy(scope: string, p: Partial<ModelPolicy>): ModelPolicy {
  return { id: `p-${scope}`, name: null, scope: parseScope(scope), allow: null, deny: [], rewrites: [], allowKeep: true, source: 'api', createdAt: 0, ...p };
}

describe('model policy', () => {
  it('admits everything when no policy applies', () => {
    expect(decideModel([policy('team:other', { deny: ['*'] })], who, 'gpt-5', false)).toEqual({ allowed: true, model: 'gpt-5', rewrittenFrom: null, policyId: null });
  });

  it('refuses denied models and models missing from an allow list', () => {
    const d = decideModel([policy('team:web', { deny: ['*opus*'] })], who, 'claude-opus-4-5', false);
    expect(d).toMatchObject({ allowed: false, reason: expect.stringMatching(/deny list/) });
    const a = decideModel([policy('org', { allow: ['claude-sonnet-*', 'claude-haiku-*'] })], who, 'gpt-5', false);
    expect(a).toMatchObject({ allowed: false, reason: expect.stringMatching(/not on the allow list \(claude-sonnet-\*, claude-haiku-\*\)/) });
  });

  it('rewrites to the cheaper default unless the client keeps it and the rule lets it', () => {
    const rules = [policy('team:web', { rewrites: [{ from: 'claude-opus-*', to: 'claude-sonnet-4-5' }] })];
    expect(decideModel(rules, who, 'claude-opus-4-5', false)).toMatchObject({ allowed: true, model: 'claude-sonnet-4-5', rewrittenFrom: 'claude-opus-4-5' });
    expect(decideModel(rules, who, 'claude-opus-4-5', true)).toMatchObject({ model: 'claude-opus-4-5', rewrittenFrom: null });
    const strict = [policy('team:web', { rewrites: [{ from: 'claude-opus-*', to: 'claude-sonnet-4-5' }], allowKeep: false })];
    expect(decideModel(strict, who, 'claude-opus-4-5', true)).toMatchObject({ model: 'claude-sonnet-4-5' });
  });

  it('lets the most specific scope choose the rewrite, and checks the target against every list', () => {
    const rules = [
      policy('org', { rewrites: [{ from: 'claude-opus-*', to: 'claude-haiku-4-5' }] }),
      policy('user:alice', { rewrites: [{ from: 'claude-opus-*', to: 'claude-sonnet-4-5' }] }),
    ];
    expect(decideModel(rules, who, 'claude-opus-4-5', false)).toMatchObject({ model: 'claude-sonnet-4-5' });
    const blocked = [...rules, policy('team:web', { deny: ['claude-sonnet-*'] })];
    expect(decideModel(blocked, who, 'claude-opus-4-5', false)).toMatchObject({ allowed: false, model: 'claude-sonnet-4-5' });
  });

  it('refuses a denied model even where a rewrite covers it, and judges allow lists on the model served', () => {
    const rules = [policy('team:web', { deny: ['claude-opus-4-1*'], allow: ['claude-sonnet-*'], rewrites: [{ from: 'claude-opus-*', to: 'claude-sonnet-4-5' }] })];
    expect(decideModel(rules, who, 'claude-opus-4-1', false)).toMatchObject({ allowed: false, model: 'claude-opus-4-1', reason: expect.stringMatching(/deny list/) });
    expect(decideModel(rules, who, 'claude-opus-4-5', false)).toMatchObject({ allowed: true, model: 'claude-sonnet-4-5' });
    expect(decideModel(rules, who, 'claude-opus-4-5', true)).toMatchObject({ allowed: false, reason: expect.stringMatching(/allow list/) });
  });
});

import { describe, expect, it } from 'vitest';
import { type Subject, formatScope, parseScope, scopeMatches } from './scope.js';

const who: Subject = { keyId: 'k1', user: 'alice', team: 'platform', project: 'web', tags: { workflow: 'nightly-review' }, model: 'claude-opus-4-5', provider: 'anthropic' };

describe('scopes', () => {
  it('parses and formats every kind', () => {
    for (const s of ['org', 'key:k1', 'user:alice', 'team:platform', 'project:web', 'tag:workflow=nightly-review', 'model:claude-opus-*', 'provider:anthropic']) {
      expect(formatScope(parseScope(s))).toBe(s);
    }
    expect(parseScope('org:*')).toEqual({ kind: 'org', value: '' });
  });

  it('explains bad scopes', () => {
    expect(() => parseScope('group:x')).toThrow(/kind must be one of/);
    expect(() => parseScope('user:')).toThrow(/needs a value/);
    expect(() => parseScope('tag:workflow')).toThrow(/tag:name=value/);
  });

  it('matches a request by identity, tag, model glob and provider', () => {
    const yes = ['org', 'key:k1', 'user:alice', 'team:platform', 'project:web', 'tag:workflow=nightly-review', 'model:claude-opus-*', 'model:CLAUDE-*', 'provider:anthropic'];
    const no = ['key:k2', 'user:bob', 'team:web', 'project:api', 'tag:workflow=other', 'tag:other=nightly-review', 'model:gpt-*', 'provider:openai'];
    for (const s of yes) expect(scopeMatches(parseScope(s), who), s).toBe(true);
    for (const s of no) expect(scopeMatches(parseScope(s), who), s).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { formatScope, parseScope } from '../policy/scope.js';
import { scopeOfFilter } from './overview.js';

describe('scopeOfFilter', () => {
  it('is the scope its budgets are written on: a workflow’s is its tag’s', () => {
    expect(scopeOfFilter({ field: 'workflow', value: 'review' })).toBe(formatScope(parseScope('tag:workflow=review')));
    expect(scopeOfFilter({ field: 'team', value: 'web' })).toBe(formatScope(parseScope('team:web')));
  });
});

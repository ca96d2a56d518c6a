import { describe, expect, it } from 'vitest';
import { parseScope } from './scope.js';
import { type HeldLine, splitCost } from './split.js';

const caller = { keyId: 'k1', user: 'alice', team: 'platform', project: null, tags: {} };
const line = (ref: string, scope: string, members?: string[]): HeldLine => ({ ref, scope: parseScope(scope), ...(members ? { members: members.map(parseScope) } : {}) });
const dear = { model: 'gpt-5', provider: 'openai', costPicos: 700n };
const cheap = { model: 'gpt-5-mini', provider: 'openai', costPicos: 30n };

describe('splitting a request cost between its reservations', () => {
  it('charges identity budgets the total, and each model budget only its own attempts', () => {
    const admitted = [line('team', 'team:platform'), line('big', 'model:gpt-5')];
    const fallback = [line('small', 'model:gpt-5-mini')];
    expect(splitCost(caller, [admitted, fallback], [dear, cheap])).toEqual([
      new Map([
        ['team', 730n],
        ['big', 700n],
      ]),
      new Map([['small', 30n]]),
    ]);
  });

  it('charges nothing to a budget none of whose attempts it covers', () => {
    const admitted = [line('team', 'team:platform'), line('big', 'model:gpt-5'), line('azure', 'provider:azure')];
    expect(splitCost(caller, [admitted], [{ ...dear, costPicos: 0n }, cheap])).toEqual([
      new Map([
        ['team', 30n],
        ['big', 0n],
        ['azure', 0n],
      ]),
    ]);
  });

  it('matches model globs and providers per attempt, and counts an unpriced attempt as nothing', () => {
    const lines = [line('family', 'model:gpt-5*'), line('openai', 'provider:openai'), line('azure', 'provider:azure')];
    const onAzure = { model: 'gpt-5-mini', provider: 'azure', costPicos: 5n };
    expect(splitCost(caller, [lines], [dear, onAzure, { ...cheap, costPicos: null }])).toEqual([
      new Map([
        ['family', 705n],
        ['openai', 700n],
        ['azure', 5n],
      ]),
    ]);
  });

  it('charges a pool charged by two reservations once, for the attempts its members cover', () => {
    const admitted = [line('team', 'team:platform'), line('pool', 'team:platform', ['model:gpt-5'])];
    const fallback = [line('pool', 'team:platform', ['model:gpt-5-mini'])];
    const other = { model: 'o3', provider: 'openai', costPicos: 1000n };
    expect(splitCost(caller, [admitted, fallback], [dear, cheap, other])).toEqual([
      new Map([
        ['team', 1730n],
        ['pool', 730n],
      ]),
      new Map([['pool', 0n]]),
    ]);
  });

  it('sums to the ledger total for an identity budget whatever the attempts', () => {
    const attempts = [dear, cheap, { ...dear, costPicos: 1n }, { ...cheap, provider: 'azure', costPicos: 9n }];
    const [own] = splitCost(caller, [[line('me', 'user:alice'), line('them', 'user:bob')]], attempts);
    expect(own!.get('me')).toBe(attempts.reduce((t, a) => t + a.costPicos, 0n));
    expect(own!.get('them')).toBe(0n);
  });
});

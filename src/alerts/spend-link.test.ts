import { describe, expect, it } from 'vitest';
import { LINK_MS } from './signed-link.js';
import { type SpendSpec, readSpendLink, signSpendLink } from './spend-link.js';

const SECRET = 'a-long-random-signing-secret';
const AT = Date.UTC(2026, 10, 18, 14, 15);
const spec: SpendSpec = { budgetId: 'bud_1', budgetName: 'Platform <monthly>', scope: 'team:platform', window: 'monthly', windowStart: Date.UTC(2026, 10, 1), resetsAt: Date.UTC(2026, 11, 1), at: AT, spentPicos: 80_000_000_000_000n, limitPicos: 100_000_000_000_000n };

describe('signed spend links', () => {
  it('carry the budget as the alert saw it, for a week', () => {
    const u = new URL(signSpendLink('https://tollgate.example/', SECRET, spec));
    expect(`${u.origin}${u.pathname}`).toBe('https://tollgate.example/spend');
    expect(readSpendLink(SECRET, u.searchParams, AT)).toEqual({ check: 'ok', spec });
    expect(readSpendLink(SECRET, u.searchParams, AT + LINK_MS).check).toBe('expired');
    const unnamed = new URL(signSpendLink('https://tollgate.example', SECRET, { ...spec, budgetName: null }));
    expect(readSpendLink(SECRET, unnamed.searchParams, AT)).toEqual({ check: 'ok', spec: { ...spec, budgetName: null } });
  });

  it('refuse a link pointed at another scope or window, or signed with another secret', () => {
    for (const [name, value] of [['s', 'org'], ['from', '0'], ['at', String(AT + 86_400_000)], ['spent', '1']]) {
      const q = new URL(signSpendLink('https://tollgate.example', SECRET, spec)).searchParams;
      q.set(name!, value!);
      expect(readSpendLink(SECRET, q, AT).check, name).toBe('bad_signature');
    }
    expect(readSpendLink('another-secret-of-some-length', new URL(signSpendLink('https://t.example', SECRET, spec)).searchParams, AT).check).toBe('bad_signature');
  });
});

import { expect, it } from 'vitest';
import { parseOutcome } from '../../outcomes/outcome.js';
import type { Storage } from '../ports.js';

/** Outcomes behave the same on every adapter. Call inside a describe(). */
export function outcomeContract(open: () => Promise<Storage>): void {
  it('records outcomes once per id and lists them by time, kind and window', async () => {
    const s = await open();
    try {
      const at = Date.UTC(2026, 9, 5, 10);
      const pr = parseOutcome({ id: 'gh-pr-1', kind: 'pr_merged', session: 's1', user: 'alice', tag: 'workflow=review', ts: '2026-10-05T10:00:00Z', value: '2.5' }, at + 5);
      expect(await s.outcomes.add(pr)).toBe(true);
      // The same id again, even with other content, records nothing and keeps the first.
      expect(await s.outcomes.add({ ...pr, kind: 'ticket_closed', valueMicros: 9n })).toBe(false);
      expect(await s.outcomes.get('gh-pr-1')).toEqual(pr);
      expect(await s.outcomes.get('nope')).toBeUndefined();

      const ticket = parseOutcome({ id: 'jira-9', kind: 'ticket_closed', user: 'bob', ts: at + 3_600_000 }, at);
      const early = parseOutcome({ id: 'gh-pr-0', kind: 'pr_merged', user: 'bob', ts: at - 86_400_000 }, at);
      for (const o of [ticket, early]) expect(await s.outcomes.add(o)).toBe(true);

      expect((await s.outcomes.list({})).map((o) => o.id)).toEqual(['gh-pr-0', 'gh-pr-1', 'jira-9']);
      expect((await s.outcomes.list({ kind: 'pr_merged' })).map((o) => o.id)).toEqual(['gh-pr-0', 'gh-pr-1']);
      expect((await s.outcomes.list({ since: at, until: at + 3_600_000 })).map((o) => o.id)).toEqual(['gh-pr-1']);
      expect((await s.outcomes.list({ limit: 1 })).map((o) => o.id)).toEqual(['gh-pr-0']);
      const back = await s.outcomes.get('jira-9');
      expect(back).toMatchObject({ sessionId: null, tag: null, user: 'bob', valueMicros: 1_000_000n });
    } finally {
      await s.close();
    }
  });

  it('keeps an outcome whose text holds U+0000, with U+FFFD in its place', async () => {
    const s = await open();
    try {
      // The API refuses such text; storage keeps it safe from any other way in (an older version's rows).
      const o = { ...parseOutcome({ id: 'nul', kind: 'pr_merged', session: 's', ts: '2026-10-05T10:00:00Z' }, 0), id: 'nul\u0000id', sessionId: 's\u0000x', tag: { key: 'workflow', value: 'a\u0000b' } };
      expect(await s.outcomes.add(o)).toBe(true);
      expect(await s.outcomes.get('nul\u0000id')).toMatchObject({ id: 'nul\uFFFDid', sessionId: 's\uFFFDx', tag: { key: 'workflow', value: 'a\uFFFDb' } });
    } finally {
      await s.close();
    }
  });
}

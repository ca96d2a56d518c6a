import { expect, it } from 'vitest';
import type { OutboxEntry } from '../../alerts/outbox.js';
import type { Storage } from '../ports.js';

const entry = (id: string, target: string, createdAt: number): OutboxEntry => ({ id, target, body: `{"id":"${id}"}`, createdAt, tries: 0 });

/** The alert outbox behaves the same on every adapter. Call inside a describe(). */
export function alertOutboxContract(open: () => Promise<Storage>): void {
  it('leases alerts to one process at a time, oldest first, and hands back the ones released or left', async () => {
    const s = await open();
    try {
      const o = s.alertOutbox;
      const t0 = 1_000_000;
      await o.add(entry('a2', 'hook1', t0 + 2), 'p1', t0 + 60_000);
      await o.add(entry('a1', 'hook1', t0 + 1), 'p1', t0 + 60_000);
      await o.add(entry('b1', 'hook2', t0 + 3), 'p1', 0);
      // Adding the same id again changes nothing.
      await o.add({ ...entry('b1', 'hook2', t0 + 3), body: 'other' }, 'p9', t0 + 60_000);

      // p1's leases are live: p2 gets only what is due, unleased and of its targets.
      expect(await o.claimDue(['hook1', 'hook2'], 'p2', t0 + 10, t0 + 120_000, 10)).toEqual([entry('b1', 'hook2', t0 + 3)]);
      expect(await o.claimDue(['hook1', 'hook2'], 'p3', t0 + 10, t0 + 120_000, 10)).toEqual([]);
      expect(await o.renew('b1', 'p3', t0 + 10, t0 + 200_000)).toBe(false);
      expect(await o.renew('b1', 'p2', t0 + 10, t0 + 200_000)).toBe(true);

      // p1's leases run out: the oldest first, up to the limit, and only for the targets asked.
      expect(await o.claimDue(['hook2'], 'p2', t0 + 60_000, t0 + 180_000, 10)).toEqual([]);
      expect((await o.claimDue(['hook1'], 'p2', t0 + 60_000, t0 + 180_000, 1)).map((e) => e.id)).toEqual(['a1']);
      // An expired lease is taken back by its owner, or by anyone.
      expect(await o.renew('a2', 'p1', t0 + 60_000, t0 + 1_000_000)).toBe(true);
      expect(await o.renew('a2', 'p2', t0 + 70_000, t0 + 240_000)).toBe(false);

      // Released for later: not due before `nextAt`, then claimed with its tries and body.
      await o.later('a1', 12, t0 + 300_000, 'HTTP 503: '.padEnd(900, 'x'));
      expect(await o.claimDue(['hook1'], 'p3', t0 + 299_999, t0 + 400_000, 10)).toEqual([]);
      expect(await o.claimDue(['hook1'], 'p3', t0 + 300_000, t0 + 400_000, 10)).toEqual([{ ...entry('a1', 'hook1', t0 + 1), tries: 12 }]);

      await o.remove('a1');
      expect(await o.renew('a1', 'p3', t0 + 300_000, t0 + 400_000)).toBe(false);
      expect(await o.claimDue(['hook1'], 'p3', t0 + 10_000_000, t0 + 10_100_000, 10)).toEqual([entry('a2', 'hook1', t0 + 2)]);
      expect(await o.purge(t0 + 3)).toBe(1);
      expect(await o.claimDue(['hook1', 'hook2'], 'p4', t0 + 20_000_000, t0 + 20_100_000, 10)).toEqual([entry('b1', 'hook2', t0 + 3)]);
    } finally {
      await s.close();
    }
  });
}

import { describe, expect, it, vi } from 'vitest';
import { openSqlite } from '../storage/sqlite/sqlite-storage.js';
import { sampleRow } from '../storage/testing/rows.js';
import { serveAdmin } from './testing/admin-server.js';

describe('GET /admin/v1/explain', () => {
  it('explains the change between two windows as JSON, and names a bad window', async () => {
    const storage = openSqlite(':memory:');
    const day = Date.UTC(2026, 10, 18);
    await storage.ledger.insert([
      ...[0, 1].map((i) => sampleRow({ id: `a${i}`, ts: day - 86_400_000 + i * 3_600_000, costPicos: 1_000_000_000_000n })),
      ...[0, 1, 2, 3].map((i) => sampleRow({ id: `b${i}`, ts: day + i * 3_600_000, costPicos: 1_000_000_000_000n })),
      sampleRow({ id: 'new', ts: day + 5 * 3_600_000, user: 'carol', costPicos: 3_000_000_000_000n }),
    ]);
    const admin = await serveAdmin(storage);
    const base = `${admin.base}/explain`;
    const q = new URLSearchParams({ from: '2026-11-17..2026-11-18', to: '2026-11-18..2026-11-19' });
    const res = await fetch(`${base}?${q.toString()}`, { headers: { authorization: 'Bearer adm' } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { change_usd: string; summary: string; drivers: { driver: string; change_usd: string }[] };
    expect(body.change_usd).toBe('5');
    expect(body.drivers.slice(0, 2)).toEqual([
      expect.objectContaining({ driver: 'new_subjects', change_usd: '3' }),
      expect.objectContaining({ driver: 'requests', change_usd: '2' }),
    ]);
    expect(body.summary).toMatch(/^Spend rose from \$2\.00 in 2026-11-17\.\.2026-11-18 to \$7\.00/);
    // Narrowed to one user: carol is new in the later window, alice's two more requests are not hers.
    const carol = (await (await fetch(`${base}?${q.toString()}&user=carol`, admin.auth)).json()) as { change_usd: string; summary: string; only: unknown };
    expect(carol.only).toEqual({ field: 'user', value: 'carol' });
    expect(carol.change_usd).toBe('3');
    expect(carol.summary).toMatch(/^User carol's spend rose from \$0\.00 /);
    const alice = (await (await fetch(`${base}?${q.toString()}&team=platform`, admin.auth)).json()) as { change_usd: string };
    expect(alice.change_usd).toBe('5');
    const two = await fetch(`${base}?${q.toString()}&user=carol&team=platform`, admin.auth);
    expect(two.status).toBe(400);
    expect(((await two.json()) as { error: { message: string } }).error.message).toContain('not user and team');
    const bad = await fetch(`${base}?from=fortnight`, { headers: { authorization: 'Bearer adm' } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toContain('"fortnight" is not a window');
    admin.close();
    await storage.close();
  });

  it('reads both windows on one clock: prev-2w ends where last-2w starts, however the clock moves meanwhile', async () => {
    const storage = openSqlite(':memory:');
    const admin = await serveAdmin(storage);
    let t = Date.UTC(2026, 10, 18);
    const now = vi.spyOn(Date, 'now').mockImplementation(() => (t += 7));
    try {
      const body = (await (await fetch(`${admin.base}/explain?from=prev-2w&to=last-2w`, admin.auth)).json()) as { from: { until: string }; to: { since: string } };
      expect(body.from.until).toBe(body.to.since);
    } finally {
      now.mockRestore();
      admin.close();
      await storage.close();
    }
  });
});

describe('admin reads with a format the route does not write', () => {
  it('answers 400 naming the formats it does write, rather than JSON as if asked', async () => {
    const storage = openSqlite(':memory:');
    const admin = await serveAdmin(storage);
    for (const [path, allowed] of [
      ['/report?by=user&format=xml', 'json or csv'],
      ['/report?by=rule&format=xml', 'json or csv'],
      ['/export?format=json', 'jsonl or csv'],
      ['/explain?format=csv', 'json'],
    ] as const) {
      const res = await fetch(`${admin.base}${path}`, admin.auth);
      expect(res.status, path).toBe(400);
      expect(((await res.json()) as { error: { message: string } }).error.message, path).toMatch(new RegExp(`^format must be ${allowed}, not "`));
    }
    admin.close();
    await storage.close();
  });
});

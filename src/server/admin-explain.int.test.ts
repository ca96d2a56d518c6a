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

  it('names a client that moved to a new release, with what a request cost and read from cache on each, narrowed or not, to a workflow too', async () => {
    const storage = openSqlite(':memory:');
    const day = Date.UTC(2026, 10, 18);
    const call = (id: string, ts: number, version: string, cents: number, read: number, user = 'alice') =>
      sampleRow({ id, ts, user, client: 'claude-code', tags: { client_version: version, workflow: user === 'alice' ? 'review' : 'chat' }, inputTokens: 10_000, cacheReadTokens: read, costPicos: BigInt(cents) * 10_000_000_000n });
    await storage.ledger.insert([
      ...Array.from({ length: 20 }, (_, i) => call(`a${i}`, day - 86_400_000 + i * 60_000, '2.1.197', 5, 8600)),
      ...Array.from({ length: 18 }, (_, i) => call(`b${i}`, day + i * 60_000, '2.1.198', 21, 1200)),
      ...Array.from({ length: 2 }, (_, i) => call(`c${i}`, day + 3_600_000 + i * 60_000, '2.1.197', 5, 8600)),
      ...Array.from({ length: 12 }, (_, i) => call(`d${i}`, day - 86_400_000 + i * 60_000, '2.1.197', 5, 8600, 'bob')),
      ...Array.from({ length: 12 }, (_, i) => call(`e${i}`, day + i * 60_000, '2.1.197', 5, 8600, 'bob')),
    ]);
    const admin = await serveAdmin(storage);
    const q = new URLSearchParams({ from: '2026-11-17..2026-11-18', to: '2026-11-18..2026-11-19' });
    type Body = { summary: string; client_releases: { client: string; from: { version: string }; to: { version: string; cost_per_request_usd: string }; to_share_of_requests: number }[] };
    const all = (await (await fetch(`${admin.base}/explain?${q.toString()}`, admin.auth)).json()) as Body;
    // Over everyone, bob's 12 on the old release keep it at 18 of 32.
    expect(all.client_releases).toEqual([expect.objectContaining({ client: 'claude-code', from: expect.objectContaining({ version: '2.1.197' }), to: expect.objectContaining({ version: '2.1.198', cost_per_request_usd: '0.21' }), to_share_of_requests: 0.5625 })]);
    expect(all.summary).toContain(' claude-code moved from 2.1.197 to 2.1.198 (56% of its requests in 2026-11-18..2026-11-19): a request cost $0.210 against $0.050, and read 12% of its input from cache against 86%.');
    const alice = (await (await fetch(`${admin.base}/explain?${q.toString()}&user=alice`, admin.auth)).json()) as Body;
    expect(alice.client_releases[0]?.to_share_of_requests).toBe(0.9);
    const bob = (await (await fetch(`${admin.base}/explain?${q.toString()}&user=bob`, admin.auth)).json()) as Body;
    expect(bob.client_releases).toEqual([]);
    expect(bob.summary).not.toContain('moved from');
    // Narrowed to a workflow (a second tag beside client_version), read from the raw rows.
    const review = (await (await fetch(`${admin.base}/explain?${q.toString()}&workflow=review`, admin.auth)).json()) as Body;
    expect(review.client_releases).toEqual([expect.objectContaining({ client: 'claude-code', from: expect.objectContaining({ version: '2.1.197' }), to: expect.objectContaining({ version: '2.1.198', cost_per_request_usd: '0.21' }), to_share_of_requests: 0.9 })]);
    expect(review.summary).toContain(' claude-code moved from 2.1.197 to 2.1.198 (90% of its requests in 2026-11-18..2026-11-19)');
    const chat = (await (await fetch(`${admin.base}/explain?${q.toString()}&workflow=chat`, admin.auth)).json()) as Body;
    expect(chat.client_releases).toEqual([]);
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
  it('answers 400 when from starts after to, naming both, and takes windows in order or overlapping', async () => {
    const storage = openSqlite(':memory:');
    const admin = await serveAdmin(storage);
    for (const q of ['from=today&to=yesterday', 'from=2026-11-08..2026-11-15&to=2026-11-01..2026-11-08', 'to=last-week&from=this-week']) {
      const res = await fetch(`${admin.base}/explain?${q}`, admin.auth);
      expect(res.status, q).toBe(400);
      expect(((await res.json()) as { error: { code: string; message: string } }).error, q).toEqual({ code: 'invalid_request', message: expect.stringMatching(/^from \(.+\) starts after to \(.+\): from is the earlier window, to the later one; swap them$/) });
    }
    for (const q of ['from=yesterday&to=today', 'from=last-month&to=this-week', 'from=2026-11-01..2026-11-08&to=2026-11-01..2026-11-09']) expect((await fetch(`${admin.base}/explain?${q}`, admin.auth)).status, q).toBe(200);
    admin.close();
    await storage.close();
  });

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

import { afterAll, describe, expect, it } from 'vitest';
import { usd } from '../core/money.js';
import type { Storage } from '../storage/ports.js';
import { openPostgres } from '../storage/postgres/postgres-storage.js';
import { sampleRow } from '../storage/testing/rows.js';
import { TEST_PG_URL, dropSchemas } from '../storage/testing/postgres.js';
import { openSqlite } from '../storage/sqlite/sqlite-storage.js';
import { parseOutcome } from './outcome.js';
import { outcomeReport } from './report.js';
import { renderOutcomeCsv, renderOutcomeJson, renderOutcomeTable } from './render.js';

const T = Date.UTC(2026, 9, 5, 10);

async function seeded() {
  const s = openSqlite(':memory:');
  const row = (id: string, user: string | null, team: string, session: string | null, dollars: string, tags: Record<string, string> = {}) =>
    sampleRow({ id, ts: T, user, team, sessionId: session, costPicos: usd(dollars), tags });
  await s.ledger.insert([
    row('a1', 'alice', 'platform', 'sa1', '3'),
    row('a2', 'alice', 'platform', 'sa1', '1'),
    row('a3', 'alice', 'platform', 'sa2', '6', { workflow: 'review' }),
    row('b1', 'bob', 'data', 'sb1', '2'),
    row('b2', 'bob', 'data', 'sb2', '8'),
    row('c1', 'carol', 'data', null, '5'),
  ]);
  const add = (o: Record<string, unknown>) => s.outcomes.add(parseOutcome({ ts: T + 60_000, ...o }, T));
  await add({ id: 'pr1', kind: 'pr_merged', session: 'sa1' });
  await add({ id: 'pr2', kind: 'pr_merged', user: 'alice', session: 'sa2', value: 2 });
  await add({ id: 'pr3', kind: 'pr_merged', session: 'sb1' });
  await add({ id: 't1', kind: 'ticket_closed', user: 'bob' });
  await add({ id: 'pr-x', kind: 'pr_merged', session: 'unknown-session' });
  // Outside the window: not counted.
  await add({ id: 'pr-old', kind: 'pr_merged', session: 'sa1', ts: T - 10 * 86_400_000 });
  return s;
}

describe('outcome report', () => {
  it('credits outcomes by session, user or tag, and divides spend by them', async () => {
    const s = await seeded();
    const window = { since: T - 3_600_000, until: T + 3_600_000 };
    const byUser = await outcomeReport(s.ledger, s.outcomes, { ...window, by: 'user', kind: 'pr_merged' });
    const get = (k: string) => byUser.rows.find((r) => r.key === k)!;
    // alice spent 10 and produced 3 merged PRs (1 + a PR worth 2); her outcome sessions sa1 + sa2 spent 10.
    expect(get('alice')).toMatchObject({ spendPicos: usd(10), outcomeMicros: 3_000_000n, costPerOutcomePicos: 3_333_333_333_333n, sessionSpendPicos: usd(10), sessionCostPerOutcomePicos: 3_333_333_333_333n });
    // bob's PR names only session sb1: credited to bob, who spent in it; its session cost 2 of bob's 10.
    expect(get('bob')).toMatchObject({ spendPicos: usd(10), outcomeMicros: 1_000_000n, costPerOutcomePicos: usd(10), sessionSpendPicos: usd(2) });
    expect(get('carol')).toMatchObject({ spendPicos: usd(5), outcomeMicros: 0n, costPerOutcomePicos: null });
    // The PR from a session the ledger never saw is credited to no one.
    expect(get('')).toMatchObject({ spendPicos: 0n, outcomeMicros: 1_000_000n, costPerOutcomePicos: null });
    expect(byUser.total).toMatchObject({ spendPicos: usd(25), outcomeMicros: 5_000_000n, costPerOutcomePicos: usd(5), sessionSpendPicos: usd(12) });

    // By team: alice's outcomes go to platform, bob's to data (the team that spent in the session).
    const byTeam = await outcomeReport(s.ledger, s.outcomes, { ...window, by: 'team' });
    expect(byTeam.rows.map((r) => [r.key, r.outcomeMicros])).toEqual([
      ['data', 2_000_000n],
      ['platform', 3_000_000n],
      ['', 1_000_000n],
    ]);

    const bySession = await outcomeReport(s.ledger, s.outcomes, { ...window, by: 'session', kind: 'pr_merged' });
    expect(bySession.rows.find((r) => r.key === 'sa2')).toMatchObject({ spendPicos: usd(6), outcomeMicros: 2_000_000n, costPerOutcomePicos: usd(3) });

    const byTag = await outcomeReport(s.ledger, s.outcomes, { ...window, by: 'tag:workflow', kind: 'pr_merged' });
    // pr2's session sa2 ran under workflow=review.
    expect(byTag.rows.find((r) => r.key === 'review')).toMatchObject({ spendPicos: usd(6), outcomeMicros: 2_000_000n });

    const json = JSON.parse(renderOutcomeJson(byUser)) as { rows: Record<string, unknown>[] };
    expect(json.rows[0]).toEqual({ user: 'alice', requests: 3, spend_usd: '10', outcomes: 3, cost_per_outcome_usd: '3.333333333333', session_spend_usd: '10', session_outcomes: 3, session_cost_per_outcome_usd: '3.333333333333', unpriced_requests: 0, session_unpriced_requests: 0 });
    expect(renderOutcomeCsv(byUser).split('\n')[0]).toBe('user,requests,spend_usd,outcomes,cost_per_outcome_usd,session_spend_usd,session_outcomes,session_cost_per_outcome_usd,unpriced_requests,session_unpriced_requests');
    expect(renderOutcomeTable(byUser)).toMatch(/alice +3 +\$10\.00 +3 +\$3\.33/);
    await s.close();
  });
});

const SCHEMA = `tg_outcomes_${process.pid}_${Date.now() % 100000}`;
const engines: [string, () => Promise<Storage>][] = [
  ['SQLite', () => Promise.resolve(openSqlite(':memory:'))],
  ['Postgres', () => openPostgres({ url: TEST_PG_URL, schema: SCHEMA, maxConnections: 2 })],
];

describe('outcome report table', () => {
  it('an outcome credited to a user who spent nothing in the window has no cost per outcome, not $0', async () => {
    const s = await seeded();
    await s.outcomes.add(parseOutcome({ id: 'd1', kind: 'pr_merged', user: 'dave', ts: T + 60_000 }, T));
    const r = await outcomeReport(s.ledger, s.outcomes, { since: T - 3_600_000, until: T + 3_600_000, by: 'user' });
    expect(r.rows.find((x) => x.key === 'dave')).toMatchObject({ requests: 0, spendPicos: 0n, outcomeMicros: 1_000_000n, costPerOutcomePicos: null });
    expect(renderOutcomeCsv(r).split('\n').find((l) => l.startsWith('dave,'))).toBe('dave,0,0,1,,0,0,,0,0');
  });

  it('shows each money column with the decimals its smallest amount needs when all are under a dollar', async () => {
    const s = openSqlite(':memory:');
    try {
      await s.ledger.insert([
        sampleRow({ id: 'small-a', ts: T, user: 'ann', sessionId: 'sa', costPicos: 36_000_000_000n }),
        sampleRow({ id: 'small-b', ts: T, user: 'ben', sessionId: 'sb', costPicos: 7_400_000_000n }),
        sampleRow({ id: 'small-c', ts: T, user: 'cal', sessionId: 'sc', costPicos: 435_000_000n }),
      ]);
      const r = await outcomeReport(s.ledger, s.outcomes, { since: T - 3_600_000, until: T + 3_600_000, by: 'user' });
      const table = renderOutcomeTable(r);
      // Not "$0.04", "$0.01" beside "$0.000435": one scale, so the rows add up to the total.
      expect(table).toMatch(/ann +1 +\$0\.03600 /);
      expect(table).toMatch(/ben +1 +\$0\.00740 /);
      expect(table).toMatch(/cal +1 +\$0\.00044 /);
      expect(table).toMatch(/TOTAL +3 +\$0\.04384 /);
    } finally {
      await s.close();
    }
  });
});

describe('outcome report ties', () => {
  it('credits a tie in spend and requests to the lower key, whatever order storage returns the groups in', async () => {
    const s = openSqlite(':memory:');
    try {
      await s.ledger.insert([
        sampleRow({ id: 'tie-a', ts: T, sessionId: 't0', project: 'alpha', costPicos: usd(1) }),
        sampleRow({ id: 'tie-b', ts: T, sessionId: 't0', project: 'beta', costPicos: usd(1) }),
      ]);
      await s.outcomes.add(parseOutcome({ id: 'pr-t0', kind: 'pr_merged', session: 't0', ts: T + 60_000 }, T));
      const window = { since: T - 3_600_000, until: T + 3_600_000, by: 'project' as const };
      // Postgres hashes its groups: the same rows may come back in any order.
      const reversed = { ...s.ledger, aggregate: async (q: Parameters<typeof s.ledger.aggregate>[0]) => (await s.ledger.aggregate(q)).reverse() };
      for (const ledger of [s.ledger, reversed]) {
        const r = await outcomeReport(ledger, s.outcomes, window);
        expect(r.rows.filter((x) => x.outcomeMicros > 0n).map((x) => x.key)).toEqual(['alpha']);
      }
    } finally {
      await s.close();
    }
  });
});

describe.each(engines)('outcome report by session on %s', (_name, open) => {
  it('credits an outcome naming only a user or a tag to the session that spent the most for it', async () => {
    const s = await open();
    try {
      await s.ledger.insert([
        sampleRow({ id: 'o-b1', ts: T, user: 'bob', sessionId: 'sb1', costPicos: usd(2) }),
        sampleRow({ id: 'o-b2', ts: T, user: 'bob', sessionId: 'sb2', costPicos: usd(8) }),
        sampleRow({ id: 'o-a1', ts: T, user: 'alice', sessionId: 'sa1', costPicos: usd(4), tags: { workflow: 'review' } }),
        sampleRow({ id: 'o-a2', ts: T, user: 'alice', sessionId: 'sa2', costPicos: usd(6), tags: { workflow: 'review' } }),
        sampleRow({ id: 'o-a3', ts: T, user: 'alice', sessionId: null, costPicos: usd(50), tags: { workflow: 'review' } }),
      ]);
      const add = (o: Record<string, unknown>) => s.outcomes.add(parseOutcome({ kind: 'pr_merged', ts: T + 60_000, ...o }, T));
      await add({ id: 'by-user', user: 'bob' });
      await add({ id: 'by-tag', tag: 'workflow=review', value: 2 });
      await add({ id: 'by-session', session: 'sb1', user: 'alice' });
      await add({ id: 'nobody', user: 'nobody' });
      const report = await outcomeReport(s.ledger, s.outcomes, { since: T - 3_600_000, until: T + 3_600_000, by: 'session' });
      const outcomes = Object.fromEntries(report.rows.map((r) => [r.key, r.outcomeMicros]));
      // Spend without a session (alice's $50) is no session to credit.
      expect(outcomes).toEqual({ '': 1_000_000n, sb2: 1_000_000n, sa2: 2_000_000n, sb1: 1_000_000n, sa1: 0n });
    } finally {
      await s.close();
    }
  });
});

afterAll(() => dropSchemas([SCHEMA]));

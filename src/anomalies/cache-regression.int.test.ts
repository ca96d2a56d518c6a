import { describe, expect, it } from 'vitest';
import type { LedgerRow } from '../core/ledger-row.js';
import { openSqlite } from '../storage/sqlite/sqlite-storage.js';
import { sampleRow } from '../storage/testing/rows.js';
import { evaluate } from './evaluate.js';
import { SeriesReader } from './inputs.js';
import { replay } from './replay.js';
import { defaultAnomalySettings } from './types.js';

const MIN = 60_000;
const rates = () => ({ input: 3_000_000_000_000n, cacheRead: 300_000_000_000n, cacheWrite: 3_750_000_000_000n, output: 15_000_000_000_000n });

/** A workflow that read 80% of its input from cache for a week, a request every 10 s; its cache breaks outright at `at`. */
function brokenCache(at: number): LedgerRow[] {
  const row = (ts: number, input: number, read: number) => sampleRow({ id: `r-${ts}`, ts, user: 'bot', keyId: 'key_bot', sessionId: null, tags: { workflow: 'review-bot' }, model: 'claude-sonnet-4-5', provider: 'anthropic', inputTokens: input, cacheReadTokens: read });
  const rows: LedgerRow[] = [];
  for (let t = at - 7 * 86_400_000; t < at - 30 * MIN; t += 10 * MIN) rows.push(row(t, 1_200_000, 960_000));
  for (let t = at - 30 * MIN; t < at + 15 * MIN; t += 10_000) rows.push(row(t, 20_000, t < at ? 16_000 : 0));
  return rows;
}

describe('a cache broken outright', () => {
  it('is raised within 5 minutes of steady traffic (the 15-minute window alone takes 7.5), over the last minutes alone', async () => {
    const storage = openSqlite(':memory:');
    const at = Date.UTC(2026, 10, 18, 14, 20, 0);
    await storage.ledger.insert(brokenCache(at));
    const settings = defaultAnomalySettings();
    const reader = new SeriesReader(storage.ledger);
    const first = async (s: typeof settings) => {
      for (let now = at + MIN; now <= at + 15 * MIN; now += MIN) {
        const found = await evaluate(reader, now, s, rates, 'cache_regression');
        if (found.length > 0) return { after: (now - at) / MIN, found: found[0]! };
      }
      return undefined;
    };
    const quick = await first(settings);
    expect(quick?.after).toBeLessThanOrEqual(5);
    expect(quick!.found.subject).toBe('workflow:review-bot');
    expect(quick!.found.message).toMatch(/fell from 80% to \d+% in the last 5 min/);
    // Without the last minutes judged alone, the whole window's share halves only after 7.5 minutes.
    const slow = await first({ ...settings, detectors: { ...settings.detectors, cache_regression: { ...settings.detectors.cache_regression, fastWindowMs: 0 } } });
    expect(slow?.after).toBe(8);
    await storage.close();
  });

  it('is judged against the same hour of past days: a morning whose sessions start afresh every day is no regression, a cache broken then still is', async () => {
    const storage = openSqlite(':memory:');
    const day = Date.UTC(2026, 10, 18);
    // Every day, 05:00 to 07:00 UTC the sessions start (30% read from cache), then 80% until midnight; a request every 15 s, 20,000 tokens.
    const hourOf = (t: number) => new Date(t).getUTCHours();
    const shareAt = (t: number) => (hourOf(t) < 5 ? 0 : hourOf(t) < 7 ? 0.3 : 0.8);
    const rows: LedgerRow[] = [];
    const broken = day + 5.5 * 3_600_000;
    for (let t = day - 8 * 86_400_000; t < day + 86_400_000; t += MIN / 4) {
      const s = shareAt(t);
      if (s === 0) continue;
      rows.push(sampleRow({ id: `m-${t}`, ts: t, user: 'bot', keyId: 'key_bot', sessionId: null, tags: { workflow: 'coder' }, model: 'claude-sonnet-4-5', provider: 'anthropic', inputTokens: 20_000, cacheReadTokens: t >= broken && t < broken + 20 * MIN ? 0 : Math.round(20_000 * s) }));
    }
    await storage.ledger.insert(rows);
    const settings = defaultAnomalySettings();
    const only = { ...settings, detectors: { ...settings.detectors } };
    const raised = await replay(storage.ledger, only, rates, { since: day, until: day + 86_400_000, only: 'cache_regression' });
    // One alert, for the cache broken at 05:30, found within 5 minutes. Against the
    // week's share over all hours (75%), the clean morning was raised at 05:05, and the break then went unsaid.
    expect(raised).toHaveLength(1);
    expect((raised[0]!.at - broken) / MIN).toBeGreaterThan(0);
    expect((raised[0]!.at - broken) / MIN).toBeLessThanOrEqual(5);
    expect(raised[0]!.detection.message).toMatch(/fell from 30% to/);
    await storage.close();
  }, 60_000);

  it('is raised within 5 minutes in a workflow of a few requests per 5 minutes, by its warm requests alone, and a clean day of sub-agents and cold starts is not', async () => {
    const day = Date.UTC(2026, 10, 18);
    const broken = day + 14 * 3_600_000 + 20.5 * MIN;
    const storage = openSqlite(':memory:');
    await storage.ledger.insert(fewRequests(day - 8 * 86_400_000, day + 86_400_000, broken));
    const settings = defaultAnomalySettings();
    const without = { ...settings, detectors: { ...settings.detectors, cache_regression: { ...settings.detectors.cache_regression, warmMinRequests: 0 } } };
    // One session at a time: its warm requests are judged alone, its workflow having no other requests to say
    // otherwise, as when one session was enough (before 2026-12-06).
    const anyOne = { ...settings, detectors: { ...settings.detectors, cache_regression: { ...settings.detectors.cache_regression, warmMinSessions: 1 } } };
    const found = async (s: typeof settings, since: number, until: number) => (await replay(storage.ledger, s, rates, { since, until, only: 'cache_regression' })).map((x) => [(x.at - broken) / MIN, x.detection.message] as const);
    // The day before the break, clean: a sub-agent’s first calls read nothing but follow their session’s within 5 minutes.
    expect(await found(settings, day - 86_400_000, day)).toEqual([]);
    const quick = await found(settings, broken - 30 * MIN, broken + 30 * MIN);
    expect(quick).toEqual([[4, expect.stringMatching(/fell from 93% to 21% in the last 5 min on the 7 requests that followed their session's within 5 min/)]]);
    // Its last 5 minutes hold under 20 requests: without the warm requests judged, it waits for 20 in the 15-minute window.
    expect(await found(without, broken - 30 * MIN, broken + 30 * MIN)).toEqual([[7, expect.stringMatching(/fell from 93% to 45% in the last 15 min/)]]);
    expect(await found(anyOne, broken - 30 * MIN, broken + 30 * MIN)).toEqual(quick);
    await storage.close();
  }, 120_000);
});

describe('a burst of sessions starting cold', () => {
  /**
   * A week reading 80% of input from cache; in the last 30 minutes six sessions call every 30 s, each call
   * after the first reading 80%. From `at`, 120 one-call sessions start within 5 minutes, reading nothing,
   * and with `broken` the six sessions read nothing from then on too.
   */
  function burst(at: number, broken: boolean): LedgerRow[] {
    const row = (id: string, ts: number, session: string | null, input: number, read: number) => sampleRow({ id, ts, user: 'dev', keyId: 'key_dev', sessionId: session, tags: { workflow: 'review' }, model: 'claude-sonnet-4-5', provider: 'anthropic', inputTokens: input, cacheReadTokens: read });
    const rows: LedgerRow[] = [];
    for (let t = at - 7 * 86_400_000; t < at - 30 * MIN; t += 10 * MIN) rows.push(row(`b-${t}`, t, null, 1_200_000, 960_000));
    for (let k = 0; k < 6; k++) {
      for (let t = at - 30 * MIN + k * 1000, i = 0; t < at + 10 * MIN; t += 30_000, i++) rows.push(row(`s${k}-${i}`, t, `s${k}`, 20_000, i === 0 || (broken && t >= at) ? 0 : 16_000));
    }
    for (let j = 0; j < 120; j++) rows.push(row(`cold-${j}`, at + j * 2_400, `c${j}`, 30_000, 0));
    return rows;
  }
  const found = async (rows: LedgerRow[], at: number) => {
    const storage = openSqlite(':memory:');
    await storage.ledger.insert(rows);
    const reader = new SeriesReader(storage.ledger);
    const out: string[] = [];
    for (let now = at + MIN; now <= at + 10 * MIN; now += MIN) out.push(...(await evaluate(reader, now, defaultAnomalySettings(), rates, 'cache_regression')).map((d) => `${(now - at) / MIN}: ${d.message}`));
    await storage.close();
    return out;
  };
  const at = Date.UTC(2026, 10, 18, 14, 20, 0);

  it('is no regression while the sessions under way read as before, and a cache broken for them too still is', async () => {
    expect(await found(burst(at, false), at)).toEqual([]);
    const broken = await found(burst(at, true), at);
    expect(broken.length).toBeGreaterThan(0);
    expect(broken[0]).toMatch(/^[1-5]: Workflow review's cache-read share of input fell from 80% to \d+% in the last (5|15) min/);
  });
});

describe('a cache broken by a client release', () => {
  /** brokenCache, from Claude Code 2.1.197; from `at` on, every request but each `keepEvery`th comes from 2.1.198 and reads nothing (none kept: 0). */
  function upgraded(at: number, keepEvery: number, oldBreaksToo = false): LedgerRow[] {
    return brokenCache(at).map((r, i) => {
      const after = r.ts >= at;
      const kept = !after || (keepEvery > 0 && i % keepEvery === 0);
      const read = after && (!kept || oldBreaksToo) ? 0 : Math.round(r.inputTokens * 0.8);
      return { ...r, client: 'claude-code', tags: { ...r.tags, client_version: kept ? '2.1.197' : '2.1.198' }, cacheReadTokens: read };
    });
  }
  const firstFound = async (rows: LedgerRow[], at: number) => {
    const storage = openSqlite(':memory:');
    await storage.ledger.insert(rows);
    const reader = new SeriesReader(storage.ledger);
    try {
      for (let now = at + MIN; now <= at + 15 * MIN; now += MIN) {
        const found = await evaluate(reader, now, defaultAnomalySettings(), rates, 'cache_regression');
        if (found.length > 0) return found[0]!;
      }
      return undefined;
    } finally {
      await storage.close();
    }
  };
  const at = Date.UTC(2026, 10, 18, 14, 20, 0);

  it('names the new version beside the old one still reading in the same window', async () => {
    const found = await firstFound(upgraded(at, 3), at);
    expect(found?.message).toMatch(/ The fall is on claude-code 2\.1\.198: its \d+ requests read 0% of their input from cache, against 80% on 2\.1\.197 \(\d+ requests in the same window\)\.$/);
    expect(found?.evidence.clientVersions?.map((v) => [v.version, v.when])).toEqual([
      ['2.1.198', 'window'],
      ['2.1.197', 'window'],
    ]);
  });

  it('names it against the hour before when every client upgraded at once', async () => {
    const found = await firstFound(upgraded(at, 0), at);
    expect(found?.message).toMatch(/against 80% on 2\.1\.197 \(\d+ requests in the hour before\)\.$/);
  });

  it('names no release when the old version broke too', async () => {
    const found = await firstFound(upgraded(at, 3, true), at);
    expect(found?.message).toMatch(/fell from 80% to \d+%/);
    expect(found?.message).not.toMatch(/The fall is on/);
    expect(found?.evidence.clientVersions).toBeUndefined();
  });
});

/**
 * One session at a time: a main thread calling every 70 s, its context growing, each call reading the one
 * before it from cache; after every sixth call a sub-agent (same session and model, a prompt of its own)
 * makes 3 calls, its first reading nothing; after 40 calls the session ends, and the next starts cold 10
 * minutes later. About 6 requests per 5 minutes. From `broken` on, nothing is read from cache.
 */
function fewRequests(since: number, until: number, broken: number): LedgerRow[] {
  const rows: LedgerRow[] = [];
  const row = (id: string, ts: number, session: string, input: number, read: number) =>
    sampleRow({ id, ts, user: 'dev', keyId: 'key_dev', sessionId: session, tags: { workflow: 'pair' }, model: 'claude-sonnet-4-5', provider: 'anthropic', inputTokens: input, cacheReadTokens: ts >= broken ? 0 : read });
  for (let start = since, k = 0; start < until; start += 40 * 70_000 + 10 * MIN, k++) {
    for (let i = 0; i < 40; i++) {
      const t = start + i * 70_000;
      rows.push(row(`m${k}-${i}`, t, `s${k}`, 20_000 + 3000 * i, i === 0 ? 0 : 20_000 + 3000 * (i - 1)));
      if (i % 6 !== 5) continue;
      for (let j = 0; j < 3; j++) rows.push(row(`a${k}-${i}-${j}`, t + 10_000 + 20_000 * j, `s${k}`, 8000 + 3000 * j, j === 0 ? 0 : 8000 + 3000 * (j - 1)));
    }
  }
  return rows.filter((r) => r.ts < until);
}

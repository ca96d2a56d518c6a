import { afterAll, describe, expect, it } from 'vitest';
import type { AlertEvent, AlertSink } from '../alerts/events.js';
import { startAnomalies } from '../app-anomalies.js';
import { silentLogger } from '../core/logger.js';
import { createPricer, rateBook } from '../pricing/index.js';
import type { Storage } from '../storage/ports.js';
import { openPostgres } from '../storage/postgres/postgres-storage.js';
import { openSqlite } from '../storage/sqlite/sqlite-storage.js';
import { TEST_PG_URL, dropSchemas } from '../storage/testing/postgres.js';
import { continueEpisodes } from './episodes.js';
import { inProcessEvaluator } from './evaluator.js';
import type { LiveState } from './live.js';
import { type Raised, replay } from './replay.js';
import { baselineRows, plantedRows } from './testing/ledger-seed.js';
import { type Detection, defaultAnomalySettings } from './types.js';
import { AnomalyWatch } from './watch.js';

const MIN = 60_000;
const HOUR = 3_600_000;
const schema = `tg_episodes_${process.pid}_${Date.now() % 100000}`;
afterAll(() => dropSchemas([schema]));
const who = (r: Raised) => `${r.detection.detector} ${r.detection.subject}`;

describe('anomalies that run across the top of the hour', () => {
  it('are raised once, live and by `detect`, and again only after a quiet evaluation', async () => {
    const storage = openSqlite(':memory:');
    // Alice's spike runs 14:54 to 15:14, the storm 14:57 to 15:01.
    const t0 = Date.UTC(2026, 10, 18, 14, 54, 0);
    const rows = [...baselineRows(t0 - 8 * 86_400_000, t0 + 3_600_000), ...plantedRows(t0)];
    const since = t0 - 2 * MIN;
    const until = t0 + 25 * MIN;
    await storage.ledger.insert(rows.filter((r) => r.ts < since));
    const settings = { ...defaultAnomalySettings(), enabled: true };
    const rates = rateBook(createPricer(), { openai: 'openai' });
    let clock = since;
    const watch = new AnomalyWatch({
      evaluator: inProcessEvaluator(storage.ledger, settings, rates),
      intervalMs: settings.intervalMs,
      flush: () => Promise.resolve(),
      claim: (key) => storage.policy.claimAlert(key, clock),
      raise: () => undefined,
      onError: (err) => {
        throw err;
      },
      now: () => clock,
    });
    const live: Raised[] = [];
    for (clock = since + settings.intervalMs; clock <= until; clock += settings.intervalMs) {
      await storage.ledger.insert(rows.filter((r) => r.ts < clock));
      for (const detection of await watch.check()) live.push({ at: clock, detection });
    }
    const replayed = await replay(storage.ledger, settings, rates, { since, until });
    expect(live).toEqual(replayed);
    const subjects = live.map(who);
    expect(subjects).toContain('spend_spike user:alice');
    expect(subjects).toContain('retry_storm key:key_storm');
    // Both were found at evaluations on either side of 15:00, under the hour of their start.
    expect(live.find((r) => who(r) === 'spend_spike user:alice')!.detection.key).toBe(`spend_spike:user:alice:${Math.floor(t0 / 3_600_000)}`);
    expect(subjects.length).toBe(new Set(subjects).size);

    // The same spike coming back after a quiet hour is a new anomaly.
    const later = t0 + 2 * 3_600_000;
    await storage.ledger.insert(plantedRows(later).map((r) => ({ ...r, id: `again-${r.id}` })));
    const again = await replay(storage.ledger, settings, rates, { since, until: later + 10 * MIN });
    expect(again.filter((r) => who(r) === 'spend_spike user:alice').map((r) => r.detection.key)).toEqual([
      `spend_spike:user:alice:${Math.floor(t0 / 3_600_000)}`,
      `spend_spike:user:alice:${Math.floor(later / 3_600_000)}`,
    ]);
    await storage.close();
  }, 120_000);

  it('are raised once when the gateway restarts while one is under way: the open episodes are saved with the scheduler’s state', async () => {
    const storage = openSqlite(':memory:');
    const t0 = Date.UTC(2026, 10, 18, 14, 54, 0);
    const rows = [...baselineRows(t0 - 8 * 86_400_000, t0 + 3_600_000), ...plantedRows(t0)];
    const settings = { ...defaultAnomalySettings(), enabled: true };
    const rates = rateBook(createPricer(), { openai: 'openai' });
    const sent: AlertEvent[] = [];
    const alerts: AlertSink = { send: (e) => void sent.push(e), close: () => Promise.resolve() };
    let clock = t0 - 2 * MIN;
    await storage.ledger.insert(rows.filter((r) => r.ts < clock));
    const gateway = async (until: number) => {
      const watch = (await startAnomalies({ settings, rates, alerts, links: { publicUrl: undefined, secret: undefined }, now: () => clock, timer: false }, storage, () => Promise.resolve(), silentLogger))!;
      for (clock += settings.intervalMs; clock <= until; clock += settings.intervalMs) {
        await storage.ledger.insert(rows.filter((r) => r.ts < clock));
        await watch.check();
      }
      clock -= settings.intervalMs;
      await watch.stop();
    };
    await gateway(t0 + 5 * MIN); // stopped at 14:59, the spike under way
    const before = sent.length;
    await gateway(t0 + 20 * MIN); // started again, past 15:00
    const spikes = sent.filter((e) => e.type === 'anomaly.spend_spike' && e.anomaly.subject === 'user:alice');
    expect(before).toBeGreaterThan(0);
    expect(spikes).toHaveLength(1);
    await storage.close();
  }, 120_000);
});

describe.each([
  ['SQLite', () => Promise.resolve(openSqlite(':memory:'))],
  ['Postgres', () => openPostgres({ url: TEST_PG_URL, schema, maxConnections: 4 })],
] as [string, () => Promise<Storage>][])('replicas on %s', (_engine, open) => {
  it('alert once an anomaly one finds before the hour turns and another after it, in turn or at the same moment', async () => {
    const top = Date.UTC(2026, 11, 6, 11, 0, 0);
    const spikeFrom = top - 40_000; // it crosses its threshold at 10:59:20
    // What the spike's evaluation finds at `now`: a 5-minute window, keyed by the hour of `now`, as spendSpikes keys it.
    const find = (now: number): Detection[] =>
      now < spikeFrom
        ? []
        : [{ detector: 'spend_spike', subject: 'user:alice', windowStart: now - 5 * MIN, windowEnd: now, severity: 'warning', excessPicos: 1n, message: '', evidence: { report: '', requestIds: [], sessionIds: [] }, key: `spend_spike:user:alice:${Math.floor(now / HOUR)}` }];
    for (const together of [false, true]) {
      const storage = await open();
      const raised: string[] = [];
      const replica = (clock: { now: number }) =>
        new AnomalyWatch({
          // As livePass does: each replica's own episodes continue its keys.
          evaluator: {
            evaluate: (now: number, state: LiveState) => {
              const r = continueEpisodes(find(now), state.episodes ?? [], now, MIN);
              return Promise.resolve({ detections: r.detections, foundLate: 0, state: { ...state, episodes: r.episodes }, late: { evaluated: 0, owed: 0, tooOld: 0 } });
            },
            close: () => Promise.resolve(),
          },
          intervalMs: MIN,
          flush: () => Promise.resolve(),
          claim: (key, at) => storage.policy.claimAlert(`${together}:${key}`, at),
          joinEpisode: (e, gapMs) => storage.policy.joinEpisode(e, gapMs),
          raise: (d) => void raised.push(d.key),
          onError: (err) => {
            throw err;
          },
          now: () => clock.now,
        });
      const a = { now: top - 10_000 }; // A evaluates at 10:59:50, after the spike crossed its threshold
      // In turn: B at :20, a moment before it; it first finds it at 11:00:20. At once: B first finds it at 11:00:10, as A does at 10:59:50.
      const b = { now: together ? top + 10_000 : spikeFrom - 1 };
      const [wa, wb] = [replica(a), replica(b)];
      for (let k = 0; k < 5; k++) {
        if (together) await Promise.all([wb.check(), wa.check()]);
        else {
          await wb.check();
          await wa.check();
        }
        a.now += MIN;
        b.now += MIN;
      }
      expect(raised).toHaveLength(1);
      if (!together) expect(raised).toEqual([`spend_spike:user:alice:${Math.floor(top / HOUR) - 1}`]);
      await storage.close();
    }
  }, 60_000);
});

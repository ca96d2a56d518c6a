import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AlertSink } from '../alerts/events.js';
import { startAnomalies } from '../app-anomalies.js';
import type { Dimension } from '../core/ledger-row.js';
import { silentLogger } from '../core/logger.js';
import { createPricer, rateBook } from '../pricing/index.js';
import { openSqlite } from '../storage/sqlite/sqlite-storage.js';
import { agentLoops, loopObservations } from './agent-loop.js';
import { evaluate } from './evaluate.js';
import { SeriesReader } from './inputs.js';
import { type Raised, replay } from './replay.js';
import { callerActivity, retryStorms } from './retry-storm.js';
import { baselineRows, plantedRows } from './testing/ledger-seed.js';
import { SPIKE_REPORT_DIMENSION } from './spend-spike.js';
import { type Detection, SPIKE_DIMENSIONS, defaultAnomalySettings } from './types.js';

const MIN = 60_000;
const byKey = (a: Detection, b: Detection) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

describe('live evaluation and replay', () => {
  it('raise the same anomalies at the same evaluations: the scheduler in its evaluation processes, rows arriving as the clock moves, and `detect` afterwards', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'tg-live-replay-')), 'ledger.db');
    const storage = openSqlite(path);
    const t0 = Date.UTC(2026, 10, 18, 14, 7, 30);
    const rows = [...baselineRows(t0 - 8 * 86_400_000, t0 + 3_600_000), ...plantedRows(t0)];
    const since = t0 - 2 * MIN;
    const until = t0 + 25 * MIN;
    await storage.ledger.insert(rows.filter((r) => r.ts < since));

    const settings = { ...defaultAnomalySettings(), enabled: true };
    const catalogs = { openai: 'openai' };
    const rates = rateBook(createPricer(), catalogs);
    const sent: unknown[] = [];
    const alerts: AlertSink = { send: (e) => void sent.push(e), close: () => Promise.resolve() };
    const warnings: string[] = [];
    const log = { ...silentLogger, warn: (msg: string) => void warnings.push(msg) };
    let clock = since;
    const watch = (await startAnomalies(
      { settings, rates, alerts, links: { publicUrl: undefined, secret: undefined }, now: () => clock, timer: false, remote: { storage: { kind: 'sqlite', path } } },
      storage,
      () => Promise.resolve(),
      log,
    ))!;
    const live: Raised[] = [];
    for (clock = since + settings.intervalMs; clock <= until; clock += settings.intervalMs) {
      await storage.ledger.insert(rows.filter((r) => r.ts < clock));
      for (const detection of await watch.check()) live.push({ at: clock, detection });
    }
    await watch.stop();
    expect(warnings.filter((w) => !w.startsWith('anomaly: '))).toEqual([]); // the evaluation process started, and every evaluation ran

    const told: [number, number][] = [];
    const replayed = await replay(storage.ledger, settings, rates, { since, until, progress: (done, total) => told.push([done, total]) });
    // One report per evaluation the live clock made, counted up to the window's total.
    const evaluations = Math.floor((until - since) / settings.intervalMs);
    expect(told).toEqual(Array.from({ length: evaluations }, (_, i) => [i + 1, evaluations]));
    expect(new Set(live.map((r) => r.detection.detector))).toEqual(new Set(['spend_spike', 'runaway_session', 'agent_loop', 'retry_storm', 'cache_regression']));
    expect(live).toEqual(replayed);
    expect(sent).toHaveLength(live.length);
    const storm = live.find((r) => r.detection.detector === 'retry_storm')!.detection;
    expect(storm.evidence.requestIds).toEqual(['storm-0', 'storm-1', 'storm-2', 'storm-3', 'storm-4']);
    expect(live.find((r) => r.detection.detector === 'cache_regression')!.detection.excessPicos).toBeGreaterThan(0n);
    await storage.close();
    // A child process per evaluation, 27 of them (from source, each loads tsx): on a loaded 2-core machine this took 63 s.
  }, 180_000);

  it('finds from SQL aggregates exactly what the raw rows give the loop and storm detectors, and per-dimension spend, at every evaluation', async () => {
    const storage = openSqlite(':memory:');
    const t0 = Date.UTC(2026, 10, 18, 14, 7, 30);
    await storage.ledger.insert([...baselineRows(t0 - 86_400_000, t0 + 3_600_000), ...plantedRows(t0)]);
    const settings = defaultAnomalySettings();
    const d = settings.detectors;
    const reader = new SeriesReader(storage.ledger);
    let found = 0;
    for (let now = t0 - 2 * MIN; now <= t0 + 40 * MIN; now += MIN) {
      const loops = await evaluate(reader, now, settings, () => undefined, 'agent_loop');
      const rawLoops = agentLoops(loopObservations(await storage.ledger.requestPoints({ since: now - d.agent_loop.windowMs, until: now })), now, d.agent_loop);
      expect(loops.sort(byKey)).toEqual(rawLoops.sort(byKey));
      const storms = await evaluate(reader, now, settings, () => undefined, 'retry_storm');
      const points = await storage.ledger.requestPoints({ since: now - d.retry_storm.windowMs, until: now });
      expect(storms.sort(byKey)).toEqual(retryStorms(callerActivity(points, now - d.retry_storm.windowMs, now), now, d.retry_storm).sort(byKey));
      found += loops.length + storms.length;
      // Spend per subject: one read grouped by every dimension gives what a read per dimension does, over short and multi-hour windows.
      for (const windowMs of [5 * MIN, 150 * MIN]) {
        const series = await reader.spend(SPIKE_DIMENSIONS, now, windowMs, 7);
        for (const [i, dim] of SPIKE_DIMENSIONS.entries()) {
          const one = await storage.ledger.aggregate({ since: now - windowMs, until: now, by: [SPIKE_REPORT_DIMENSION[dim] as Dimension], costOnly: true });
          expect(series[i]!.current).toEqual(new Map(one.map((r) => [r.keys[0]!, r.costPicos])));
        }
      }
    }
    expect(found).toBeGreaterThan(10);
    await storage.close();
  });
});

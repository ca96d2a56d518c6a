import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AnomalyAlert } from '../alerts/anomaly-alerts.js';
import { type AlertSink, renderAlert } from '../alerts/events.js';
import { startAnomalies } from '../app-anomalies.js';
import type { LedgerRow } from '../core/ledger-row.js';
import { silentLogger } from '../core/logger.js';
import type { StorageSpec } from '../storage/open.js';
import { openStorage } from '../storage/open.js';
import type { Storage } from '../storage/ports.js';
import { TEST_PG_URL, dropSchemas } from '../storage/testing/postgres.js';
import { sampleRow } from '../storage/testing/rows.js';
import { replay } from './replay.js';
import { baselineRows, spikeRows } from './testing/ledger-seed.js';
import { type Detection, defaultAnomalySettings } from './types.js';

const MIN = 60_000;
const DAY = 86_400_000;
const CENT = 10_000_000_000n;
const t0 = Date.UTC(2026, 10, 18, 14, 7, 30);
const byKey = (a: Detection, b: Detection) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
const schemas: string[] = [];
afterAll(() => dropSchemas(schemas));

/** A ledger of each kind, with twelve days of steady traffic; the spec lets an evaluation process open it too. */
async function ledger(kind: 'sqlite' | 'postgres'): Promise<{ storage: Storage; spec: StorageSpec }> {
  let spec: StorageSpec;
  if (kind === 'sqlite') spec = { kind, path: join(mkdtempSync(join(tmpdir(), 'tg-late-')), 'ledger.db') };
  else {
    const schema = `tg_late_${process.pid}_${schemas.length}_${Date.now() % 100000}`;
    schemas.push(schema);
    spec = { kind, url: TEST_PG_URL, schema };
  }
  const storage = await openStorage(spec);
  await storage.ledger.insert(baselineRows(t0 - 12 * DAY, t0 + 3_600_000));
  return { storage, spec };
}

/**
 * Two replicas sharing the ledger, driven by hand with an injected clock: the first with a storage
 * connection of its own (its own pool, series cache, claims and cursor, as another gateway has),
 * the second on `storage`; returns what they raised (the first claimant of each anomaly raises it)
 * and what was logged. Both evaluate on this thread: `serve`'s evaluation in a child process per
 * pass cost about a second a pass here (most of this file's time), and is covered on its own by
 * evaluator.int.test.ts and live-replay.int.test.ts.
 */
async function replicas(storage: Storage, spec: StorageSpec, clock: () => number) {
  const settings = { ...defaultAnomalySettings(), enabled: true };
  const sent: unknown[] = [];
  const alerts: AlertSink = { send: (e) => void sent.push(e), close: () => Promise.resolve() };
  const warnings: string[] = [];
  const log = { ...silentLogger, warn: (msg: string) => void warnings.push(msg) };
  const base = { settings, rates: () => undefined, alerts, links: { publicUrl: undefined, secret: undefined }, now: clock, timer: false };
  const other = await openStorage(spec);
  const watches = [(await startAnomalies(base, other, () => Promise.resolve(), log))!, (await startAnomalies(base, storage, () => Promise.resolve(), log))!];
  const raised: Detection[] = [];
  return {
    settings,
    sent,
    warnings,
    raised,
    check: async () => {
      for (const w of watches) raised.push(...(await w.check()));
    },
    stop: async () => {
      for (const w of watches) await w.stop();
      await other.close();
    },
  };
}

describe.each(['sqlite', 'postgres'] as const)('live detection of rows written late (%s)', (kind) => {
  it('raises a runaway session made of 7-minute streams, each written when it ends, as detect does, once across replicas', async () => {
    const { storage, spec } = await ledger(kind);
    // Carol's agent starts a $5 streamed request every minute for ten minutes; each takes 7 minutes,
    // and its row (stamped with the request's start) is written when it ends.
    const streams: LedgerRow[] = Array.from({ length: 10 }, (_, k) =>
      sampleRow({ id: `stream-${k}`, ts: t0 + k * MIN, user: 'carol', team: 'agents', sessionId: 'carol-agent', keyId: 'key_carol', stream: true, latencyMs: 7 * MIN, costPicos: 500n * CENT }),
    );
    const since = t0 - 2 * MIN;
    const until = t0 + 20 * MIN;
    let clock = since;
    // Twenty-two passes.
    const live = await replicas(storage, spec, () => clock);
    for (clock = since + live.settings.intervalMs; clock <= until; clock += live.settings.intervalMs) {
      await storage.ledger.insert(streams.filter((r) => r.ts + r.latencyMs < clock));
      await live.check();
    }
    await live.stop();
    const replayed = (await replay(storage.ledger, live.settings, () => undefined, { since, until })).map((r) => r.detection);
    expect(replayed.map((d) => d.key)).toContain(`runaway_session:carol-agent:${Math.floor(t0 / DAY)}`);
    expect(replayed.map((d) => d.subject)).toContain('user:carol');
    // Every window the streams fall in had been evaluated before they were written: without
    // looking at what arrived late, the live scheduler raised nothing of this.
    expect([...live.raised].sort(byKey)).toEqual([...replayed].sort(byKey));
    expect(live.sent).toHaveLength(replayed.length);
    expect(live.warnings.filter((w) => !w.startsWith('anomaly: '))).toEqual([]);
    await storage.close();
  }, 180_000);

  it('raises a spike imported three hours late at the next pass, and leaves one imported three days late to detect', async () => {
    const { storage, spec } = await ledger(kind);
    const recent = spikeRows('alice', t0 - 3 * 3_600_000, t0 - 3 * 3_600_000 + 10 * MIN);
    const old = spikeRows('bob', t0 - 3 * DAY, t0 - 3 * DAY + 10 * MIN);
    let clock = t0;
    const live = await replicas(storage, spec, () => clock);
    await live.check();
    expect(live.raised).toEqual([]);
    // An import of earlier logs lands between two passes.
    await storage.ledger.insert([...recent, ...old]);
    clock += live.settings.intervalMs;
    await live.check();
    const spikes = live.raised.filter((d) => d.detector === 'spend_spike');
    expect(spikes.map((d) => d.subject)).toContain('user:alice');
    expect(spikes.some((d) => d.subject === 'user:bob')).toBe(false);
    // Its alert says it was found after the fact, and when.
    const alert = (live.sent as AnomalyAlert[]).find((e) => e.type === 'anomaly.spend_spike' && e.anomaly.subject === 'user:alice')!;
    expect(alert).toMatchObject({ foundLate: true, detectedAt: clock });
    const rendered = renderAlert(alert, { showAmounts: true });
    expect(rendered.data).toMatchObject({ found_late: true, detected_at: new Date(clock).toISOString() });
    expect(rendered.text).toContain('Found late: this was ');
    expect(live.warnings.some((w) => /older than anomalies\.late_horizon_hours/.test(w))).toBe(true);
    // What live raised for the three-hour-old spike is what detect finds over its hours; the old one only detect finds.
    const window = { since: t0 - 3 * 3_600_000 - 2 * MIN, until: t0 - 3 * 3_600_000 + 20 * MIN };
    const replayed = (await replay(storage.ledger, live.settings, () => undefined, window)).map((r) => r.detection);
    expect(live.raised.filter((d) => d.windowEnd <= window.until).sort(byKey)).toEqual(replayed.sort(byKey));
    const oldReplay = await replay(storage.ledger, live.settings, () => undefined, { since: t0 - 3 * DAY - 2 * MIN, until: t0 - 3 * DAY + 20 * MIN, only: 'spend_spike' });
    expect(oldReplay.map((r) => r.detection.subject)).toContain('user:bob');
    // Nothing is raised twice by later passes.
    const before = live.raised.length;
    for (let i = 0; i < 3; i++) {
      clock += live.settings.intervalMs;
      await live.check();
    }
    expect(live.raised).toHaveLength(before);
    await live.stop();
    await storage.close();
  }, 180_000);

  it('raises at the first pass after a restart a spike imported while no gateway ran', async () => {
    const { storage, spec } = await ledger(kind);
    let clock = t0;
    const before = await replicas(storage, spec, () => clock);
    await before.check();
    expect(before.raised).toEqual([]);
    await before.stop();
    // The gateway is stopped; an hourly import writes the last hour's logs, with a spike in them.
    await storage.ledger.insert(spikeRows('alice', t0 - 3_600_000, t0 - 3_600_000 + 10 * MIN));
    clock += 10 * MIN;
    const after = await replicas(storage, spec, () => clock);
    await after.check();
    const window = { since: t0 - 3_600_000 - 2 * MIN, until: t0 - 3_600_000 + 20 * MIN };
    const replayed = (await replay(storage.ledger, after.settings, () => undefined, window)).map((r) => r.detection);
    expect(replayed.map((d) => d.subject)).toContain('user:alice');
    expect(after.raised.filter((d) => d.windowEnd <= window.until).sort(byKey)).toEqual(replayed.sort(byKey));
    await after.stop();
    await storage.close();
  }, 180_000);

  it('runs after a restart the late evaluations a stopped gateway still owed', async () => {
    const { storage, spec } = await ledger(kind);
    const spikeAt = t0 - 3_600_000;
    await storage.ledger.insert(spikeRows('alice', spikeAt, spikeAt + 10 * MIN));
    // What a gateway stopped mid catch-up saved: it had looked at every arrival, and still owed
    // the evaluation at the spike's end (its pass's budget ran out).
    await storage.ledger.saveWatchCursor({ cursor: await storage.ledger.arrivalCursor(), owed: JSON.stringify([[spikeAt + 10 * MIN, ['spend_spike']]]) }, t0);
    const clock = t0 + 10 * MIN;
    const live = await replicas(storage, spec, () => clock);
    await live.check();
    expect(live.raised.map((d) => `${d.detector} ${d.subject}`)).toContain('spend_spike user:alice');
    await live.stop();
    await storage.close();
  }, 180_000);
});

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AlertSink } from '../alerts/events.js';
import { startAnomalies } from '../app-anomalies.js';
import { silentLogger } from '../core/logger.js';
import { openSqlite } from '../storage/sqlite/sqlite-storage.js';
import { PerEvaluation, RemoteEvaluator } from './evaluator.js';
import { baselineRows, plantedRows } from './testing/ledger-seed.js';
import { defaultAnomalySettings } from './types.js';

const t0 = Date.UTC(2026, 10, 18, 14, 7, 30);
const alerts: AlertSink = { send: () => undefined, close: () => Promise.resolve() };

describe('the evaluation process or thread', () => {
  it.each(['startProcess', 'startThread'] as const)('fails at once, not never, once it is gone (%s)', async (how) => {
    const path = join(mkdtempSync(join(tmpdir(), 'tg-evaluator-')), 'ledger.db');
    const storage = openSqlite(path);
    await storage.ledger.insert([...baselineRows(t0 - 86_400_000, t0), ...plantedRows(t0)]);
    const remote = await RemoteEvaluator[how]({ storage: { kind: 'sqlite', path }, settings: defaultAnomalySettings() }, () => undefined);
    expect((await remote.evaluate(t0 + 10 * 60_000, { owed: [] })).detections.map((d) => d.detector)).toContain('retry_storm');
    await remote.close();
    await expect(remote.evaluate(t0 + 11 * 60_000, { owed: [] })).rejects.toThrow(/exited/);
    await storage.close();
  });

  it('runs each evaluation in a process of its own, and refuses once closed', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'tg-evaluator-')), 'ledger.db');
    const storage = openSqlite(path);
    await storage.ledger.insert([...baselineRows(t0 - 86_400_000, t0), ...plantedRows(t0)]);
    const spec = { storage: { kind: 'sqlite' as const, path }, settings: defaultAnomalySettings() };
    const evaluator = await PerEvaluation.start(() => RemoteEvaluator.startProcess(spec, () => undefined));
    for (const minutes of [10, 11]) expect((await evaluator.evaluate(t0 + minutes * 60_000, { owed: [] })).detections.map((d) => d.detector)).toContain('retry_storm');
    await evaluator.close();
    await expect(evaluator.evaluate(t0 + 12 * 60_000, { owed: [] })).rejects.toThrow(/closed/);
    await storage.close();
  });

  it('falls back to the main thread, saying so, when its process cannot open the ledger', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-evaluator-'));
    const storage = openSqlite(join(dir, 'ledger.db'));
    await storage.ledger.insert(plantedRows(t0).filter((r) => r.id.startsWith('storm-')));
    writeFileSync(join(dir, 'not-a-dir'), 'x');
    const warnings: string[] = [];
    const log = { ...silentLogger, warn: (msg: string) => void warnings.push(msg) };
    const settings = { ...defaultAnomalySettings(), enabled: true };
    const remote = { storage: { kind: 'sqlite' as const, path: join(dir, 'not-a-dir', 'ledger.db') } };
    const watch = (await startAnomalies({ settings, rates: () => undefined, alerts, links: { publicUrl: undefined, secret: undefined }, now: () => t0 + 10 * 60_000, timer: false, remote }, storage, () => Promise.resolve(), log))!;
    expect(warnings[0]).toMatch(/runs on the main thread/);
    expect((await watch.check()).map((d) => d.subject)).toEqual(['key:key_storm']);
    await watch.stop();
    await storage.close();
  });
});

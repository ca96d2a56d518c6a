import { mkdtempSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WebhookSink } from '../alerts/webhook.js';
import { startAnomalies } from '../app-anomalies.js';
import { silentLogger } from '../core/logger.js';
import { openSqlite } from '../storage/sqlite/sqlite-storage.js';
import { baselineRows, spikeRows } from './testing/ledger-seed.js';
import { defaultAnomalySettings } from './types.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

async function receiver(): Promise<{ url: string; bodies: Record<string, unknown>[] }> {
  const bodies: Record<string, unknown>[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>);
      res.end('ok');
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, bodies };
}

describe('anomaly scheduler', () => {
  it('raises a planted spend spike through a real webhook within the first evaluation after 5 minutes of it, once across replicas', async () => {
    const storage = openSqlite(join(mkdtempSync(join(tmpdir(), 'tg-anomaly-')), 'ledger.db'));
    // Eight days of steady traffic, then alice's spike starting mid-minute on a Wednesday afternoon.
    const spikeStart = Date.UTC(2026, 10, 18, 14, 7, 30);
    await storage.ledger.insert(baselineRows(spikeStart - 8 * 86_400_000, spikeStart + 3_600_000));
    const spike = spikeRows('alice', spikeStart, spikeStart + 3_600_000);
    const hook = await receiver();
    const sink = new WebhookSink({ webhooks: [{ url: hook.url, events: ['anomaly.*'] }], showAmounts: true, log: silentLogger });
    let clock = spikeStart - 120_000;
    const settings = { ...defaultAnomalySettings(), enabled: true };
    // Driven by hand with the injected clock.
    const options = { settings, rates: () => undefined, alerts: sink, links: { publicUrl: 'https://tollgate.example.com', secret: undefined }, now: () => clock, timer: false };
    const replicas = [(await startAnomalies(options, storage, () => Promise.resolve(), silentLogger))!, (await startAnomalies(options, storage, () => Promise.resolve(), silentLogger))!];

    let raisedAt: number | undefined;
    const raised: string[] = [];
    for (let i = 0; i < 12; i++, clock += settings.intervalMs) {
      // The rows that have arrived by now.
      await storage.ledger.insert(spike.filter((r) => r.ts < clock));
      for (const r of replicas) {
        for (const d of await r.check()) {
          raised.push(`${d.detector} ${d.subject}`);
          raisedAt ??= clock;
        }
      }
    }
    expect(raised).toContain('spend_spike user:alice');
    expect(raised.filter((x) => x === 'spend_spike user:alice')).toHaveLength(1);
    expect(raised).not.toContain('spend_spike user:bob');
    // The first evaluation at or after 5 minutes of spike data, at the latest.
    const firstAfterFive = spikeStart - 120_000 + Math.ceil((5 * 60_000 + 120_000) / settings.intervalMs) * settings.intervalMs;
    expect(raisedAt).toBeLessThanOrEqual(firstAfterFive);

    await sink.close(5000);
    const alert = hook.bodies.find((b) => b.type === 'anomaly.spend_spike' && (b.data as { subject: string }).subject === 'user:alice');
    expect(alert).toBeDefined();
    const data = alert!.data as Record<string, unknown>;
    expect(data.evidence_url).toMatch(/^https:\/\/tollgate\.example\.com\/admin\/v1\/report\?since=/);
    expect(Number(data.excess_usd)).toBeGreaterThan(5);
    // Found as it happened: not marked late.
    expect(data.found_late).toBe(false);
    expect(alert!.text).not.toMatch(/found late/i);
    expect(alert!.text).toMatch(/spend spike\* on user:alice/);
    expect((await storage.policy.listAudit()).some((a) => a.action === 'anomaly.spend_spike' && a.subject === 'user:alice')).toBe(true);
    for (const r of replicas) await r.stop();
    await storage.close();
  });
});

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { baselineRows, plantedRows } from '../../src/anomalies/testing/ledger-seed.js';
import { openSqlite } from '../../src/storage/sqlite/sqlite-storage.js';
import { serve } from './cli.js';

const bodies: { type?: string; data?: { evidence_url?: string; report_url?: string } }[] = [];
const hook = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as (typeof bodies)[number]);
    res.end('ok');
  });
});
afterAll(() => hook.close());

/** The pids of a process's children (Linux). */
function children(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

describe('the anomaly scheduler of the built gateway', () => {
  it('evaluates in short-lived child processes of the gateway and alerts through the webhook, with a signed evidence page', async () => {
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    const dir = mkdtempSync(join(tmpdir(), 'tg-e2e-anomalies-'));
    const db = join(dir, 'ledger.db');
    const t0 = Date.now() - 10 * 60_000;
    const storage = openSqlite(db);
    await storage.ledger.insert([...baselineRows(t0 - 86_400_000, t0), ...plantedRows(t0)]);
    await storage.close();
    const config = join(dir, 'tollgate.yaml');
    writeFileSync(
      config,
      `log: { level: warn }\nstorage: { sqlite: "${db}" }\nproviders:\n  - { name: openai, dialect: openai, base_url: "http://127.0.0.1:9", api_key: sk-x }\n` +
        `alerts: { webhooks: [{ url: "http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook" }], public_url: "https://tollgate.example", signing_secret: "e2e-signing-secret-0123456" }\n` +
        `anomalies: { interval_seconds: 5 }\n`,
    );
    const gw = await serve(['--config', config], { cwd: dir, env: { TOLLGATE_ADMIN_TOKEN: 'admin-secret-e2e' } });
    const seen = new Set<number>();
    try {
      const end = Date.now() + 60_000;
      while (!bodies.some((b) => b.type === 'anomaly.retry_storm') && Date.now() < end) {
        for (const c of children(gw.child.pid!)) seen.add(c);
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(bodies.map((b) => b.type)).toContain('anomaly.retry_storm');
      // One process per evaluation (the start-up check included), each gone once it is done.
      expect(seen.size).toBeGreaterThanOrEqual(1);
      expect(gw.stderr()).not.toMatch(/runs on the main thread/);

      // The alert's evidence is a page anyone in the channel can open, without the admin token.
      const storm = bodies.find((b) => b.type === 'anomaly.retry_storm')!.data!;
      expect(storm.report_url).toMatch(/^https:\/\/tollgate\.example\/admin\/v1\/report\?/);
      const link = new URL(storm.evidence_url!);
      expect(link.origin + link.pathname).toBe('https://tollgate.example/evidence');
      const page = await fetch(`${gw.url}/evidence${link.search}`);
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toContain('retry storm on key:key_storm');
      expect(html).toMatch(/<td>storm-\d+<\/td>/);
      link.searchParams.set('s', 'key:key_alice');
      expect((await fetch(`${gw.url}/evidence${link.search}`)).status).toBe(403);
    } finally {
      await gw.stop();
    }
  }, 90_000);
});

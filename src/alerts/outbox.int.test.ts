import { mkdtempSync, rmSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Logger } from '../core/logger.js';
import type { Storage } from '../storage/ports.js';
import { openSqlite } from '../storage/sqlite/sqlite-storage.js';
import { openPostgres } from '../storage/postgres/postgres-storage.js';
import { TEST_PG_URL, dropSchemas } from '../storage/testing/postgres.js';
import type { AlertEvent } from './events.js';
import { webhookTargetId } from './outbox.js';
import { WebhookSink, type WebhookSinkConfig } from './webhook.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A webhook receiver that answers `status()` (read at each request) and keeps what it was sent. */
async function receiver(status: () => number): Promise<{ url: string; bodies: { text: string }[] }> {
  const bodies: { text: string }[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const code = status();
      if (code === 200) bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as { text: string });
      res.writeHead(code).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => {
    server.closeAllConnections();
    return new Promise((r) => server.close(() => r()));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/secret`, bodies };
}

function recordingLog(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  const none = () => undefined;
  return { warnings, debug: none, info: none, error: none, warn: (msg) => void warnings.push(msg) };
}

const outage = (message: string): AlertEvent => ({ type: 'counters.fail_open', message, count: 1 });
const FAST = { baseMs: 5, maxDelayMs: 10, maxAttempts: 3, maxRetryAfterMs: 1000 };

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

let schemas = 0;
const stores: [string, () => Promise<Storage>][] = [
  [
    'SQLite',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'tollgate-outbox-'));
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      return Promise.resolve(openSqlite(join(dir, 'ledger.db')));
    },
  ],
  [
    'Postgres',
    () => {
      const schema = `tg_outbox_${process.pid}_${++schemas}`;
      cleanups.push(() => dropSchemas([schema]));
      return openPostgres({ url: TEST_PG_URL, schema, maxConnections: 4 });
    },
  ],
];

describe.each(stores)('the alert outbox on %s', (_name, open) => {
  /** A process's sink on `storage`, its clock at `clock.now`, closed after the test. */
  const sinkOn = (storage: Storage, url: string, clock: { now: number }, more: Partial<WebhookSinkConfig> = {}) => {
    const log = recordingLog();
    const sink = new WebhookSink({ webhooks: [{ url }], showAmounts: true, log, retry: FAST, outbox: storage.alertOutbox, pumpMs: 20, now: () => clock.now, ...more });
    cleanups.push(() => sink.close(100));
    return { sink, log };
  };

  it('tries an alert again minutes later when its receiver was down through the first tries, until it is delivered', async () => {
    const storage = await open();
    cleanups.push(() => storage.close());
    let up = false;
    const hook = await receiver(() => (up ? 200 : 503));
    const clock = { now: Date.now() };
    const { sink, log } = sinkOn(storage, hook.url, clock);
    sink.send(outage('Redis is down'));
    await until(() => log.warnings.some((w) => w.includes('kept in the outbox')));
    up = true;
    // Not due yet: the next try is minutes away.
    await new Promise((r) => setTimeout(r, 150));
    expect(hook.bodies).toHaveLength(0);
    clock.now += 6 * 60_000;
    await until(() => hook.bodies.length === 1);
    expect(hook.bodies[0]!.text).toContain('Redis is down');
    // Delivered once, and gone from the outbox.
    clock.now += 60 * 60_000;
    await new Promise((r) => setTimeout(r, 150));
    expect(hook.bodies).toHaveLength(1);
    expect(await storage.alertOutbox.claimDue([webhookTargetId(hook.url)], 'test', clock.now, clock.now, 10)).toEqual([]);
  });

  it('delivers at the next start, once, what a process stopped or killed before delivering; other replicas do not repeat it', async () => {
    const storage = await open();
    cleanups.push(() => storage.close());
    let up = false;
    const hook = await receiver(() => (up ? 200 : 503));
    const clock = { now: Date.now() };
    // A process that raises two alerts and stops while its receiver is down: one cut short at shutdown...
    const first = sinkOn(storage, hook.url, clock, { retry: { ...FAST, baseMs: 200, maxDelayMs: 200 } });
    first.sink.send(outage('first'));
    await new Promise((r) => setTimeout(r, 50));
    await first.sink.close(50);
    expect(first.log.warnings.some((w) => w.includes('wait in the outbox'))).toBe(true);
    // ...and one whose process died before it was tried at all (its lease runs out).
    await storage.alertOutbox.add({ id: 'dead-1', target: webhookTargetId(hook.url), body: JSON.stringify({ text: 'second' }), createdAt: clock.now, tries: 0 }, 'dead', clock.now + 60_000);
    up = true;
    const replicas = [sinkOn(storage, hook.url, clock), sinkOn(storage, hook.url, clock)];
    await until(() => hook.bodies.length === 1);
    clock.now += 61_000;
    await until(() => hook.bodies.length === 2);
    await new Promise((r) => setTimeout(r, 200));
    expect(hook.bodies.map((b) => b.text).sort()).toEqual([expect.stringContaining('first'), 'second']);
    expect(replicas.flatMap((r) => r.log.warnings)).toEqual([]);
  });

  it('leaves alerts due in the outbox to the gateway when the sink does not claim them (a CLI command)', async () => {
    const storage = await open();
    cleanups.push(() => storage.close());
    const hook = await receiver(() => 200);
    const clock = { now: Date.now() };
    await storage.alertOutbox.add({ id: 'left-1', target: webhookTargetId(hook.url), body: JSON.stringify({ text: 'left' }), createdAt: clock.now, tries: 12 }, 'gone', 0);
    const cli = sinkOn(storage, hook.url, clock, { pumpMs: 0 });
    cli.sink.send(outage('its own'));
    await until(() => hook.bodies.length === 1);
    await new Promise((r) => setTimeout(r, 100));
    expect(hook.bodies.map((b) => b.text)).toEqual([expect.stringContaining('its own')]);
    sinkOn(storage, hook.url, clock);
    await until(() => hook.bodies.length === 2);
    expect(hook.bodies[1]!.text).toBe('left');
  });

  it('takes up each webhook’s due alerts apart: a dead one’s older backlog does not hold back another’s', async () => {
    const storage = await open();
    cleanups.push(() => storage.close());
    const dead = await receiver(() => 503);
    const live = await receiver(() => 200);
    const clock = { now: Date.now() };
    for (let i = 0; i < 120; i++) await storage.alertOutbox.add({ id: `dead-${String(i).padStart(3, '0')}`, target: webhookTargetId(dead.url), body: '{"text":"old"}', createdAt: clock.now - 3_600_000 + i, tries: 12 }, 'gone', 0);
    await storage.alertOutbox.add({ id: 'live-1', target: webhookTargetId(live.url), body: '{"text":"waiting"}', createdAt: clock.now - 60_000, tries: 0 }, 'gone', 0);
    const log = recordingLog();
    // One look at the outbox only (at start): it must serve both webhooks.
    const sink = new WebhookSink({ webhooks: [{ url: dead.url }, { url: live.url }], showAmounts: true, log, retry: FAST, outbox: storage.alertOutbox, pumpMs: 600_000, now: () => clock.now });
    cleanups.push(() => sink.close(100));
    await until(() => live.bodies.length === 1, 3000);
    expect(live.bodies[0]!.text).toBe('waiting');
  });

  it('gives up after the retry period and says so', async () => {
    const storage = await open();
    cleanups.push(() => storage.close());
    const hook = await receiver(() => 503);
    const clock = { now: Date.now() };
    const { sink, log } = sinkOn(storage, hook.url, clock, { retryHours: 1 });
    sink.send(outage('never'));
    await until(() => log.warnings.some((w) => w.includes('kept in the outbox')));
    clock.now += 61 * 60_000;
    await until(() => log.warnings.some((w) => w.includes('given up')));
    clock.now += 24 * 3_600_000;
    await new Promise((r) => setTimeout(r, 100));
    expect(await storage.alertOutbox.purge(clock.now)).toBe(0);
  });
});

describe('an alert outbox that fails', () => {
  it('still delivers from memory, and says the alert is not kept', async () => {
    const hook = await receiver(() => 200);
    const log = recordingLog();
    const broken = { add: () => Promise.reject(new Error('database is locked')), renew: () => Promise.reject(new Error('x')), remove: () => Promise.reject(new Error('x')), later: () => Promise.reject(new Error('x')), claimDue: () => Promise.reject(new Error('x')), purge: () => Promise.reject(new Error('x')) };
    const sink = new WebhookSink({ webhooks: [{ url: hook.url }], showAmounts: true, log, retry: FAST, outbox: broken, pumpMs: 20 });
    sink.send(outage('still sent'));
    await sink.close(2000);
    expect(hook.bodies.map((b) => b.text)).toEqual([expect.stringContaining('still sent')]);
    expect(log.warnings).toContain('alert outbox unavailable: the alert is kept in memory only');
  });
});

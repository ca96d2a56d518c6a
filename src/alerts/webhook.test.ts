import { type IncomingHttpHeaders, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Logger } from '../core/logger.js';
import { usd } from '../core/money.js';
import type { AlertEvent } from './events.js';
import { backoffMs, DEFAULT_RETRY, retryAfterMs } from './retry.js';
import { MemorySink, WebhookSink, fanOut } from './webhook.js';

interface Received {
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
  at: number;
}

/** A webhook receiver whose n-th response (0-based) is up to the test. */
async function receiver(reply: (n: number, res: ServerResponse) => void): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')), at: Date.now() });
      reply(received.length - 1, res);
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/secret-path`, received };
}

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

function recordingLog(): Logger & { lines: { level: string; msg: string; fields?: Record<string, unknown> }[] } {
  const lines: { level: string; msg: string; fields?: Record<string, unknown> }[] = [];
  const at = (level: string) => (msg: string, fields?: Record<string, unknown>) => void lines.push({ level, msg, fields });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

const FAST = { baseMs: 5, maxDelayMs: 20, maxAttempts: 6, maxRetryAfterMs: 60_000 };

const threshold: AlertEvent = {
  type: 'budget.threshold',
  budgetId: 'b1',
  budgetName: null,
  scope: 'team:platform',
  window: 'daily',
  percent: 80,
  windowStart: 0,
  resetsAt: 86_400_000,
  spentPicos: usd('8'),
  limitPicos: usd('10'),
};
const outage = (message: string): AlertEvent => ({ type: 'counters.fail_open', message, count: 1 });

describe('WebhookSink', () => {
  it('retries 503s with backoff and delivers the Slack-compatible payload', async () => {
    const hook = await receiver((n, res) => res.writeHead(n < 2 ? 503 : 200).end(n < 2 ? 'busy' : 'ok'));
    const log = recordingLog();
    const sink = new WebhookSink({ webhooks: [{ url: hook.url, headers: { 'x-token': 'abc' } }], showAmounts: true, log, retry: FAST });
    sink.send(threshold);
    // Delivery happens in the background: nothing has reached the receiver when send returns.
    expect(hook.received).toHaveLength(0);
    await sink.close(2000);
    expect(hook.received).toHaveLength(3);
    const last = hook.received[2]!;
    expect(last.headers['content-type']).toBe('application/json');
    expect(last.headers['x-token']).toBe('abc');
    expect(last.body).toMatchObject({ type: 'budget.threshold', text: expect.stringContaining('reached 80% ($8.00 of $10.00)'), data: { budget_id: 'b1', spent_usd: '8', limit_usd: '10' } });
    expect(typeof last.body.ts).toBe('string');
    expect(log.lines.filter((l) => l.level === 'warn')).toEqual([]);
  });

  it('waits as long as retry-after asks, up to the cap', async () => {
    const hook = await receiver((n, res) => (n === 0 ? res.writeHead(429, { 'retry-after': '1' }).end() : res.writeHead(204).end()));
    const sink = new WebhookSink({ webhooks: [{ url: hook.url }], showAmounts: true, log: recordingLog(), retry: { ...FAST, baseMs: 1, maxRetryAfterMs: 300 } });
    sink.send(threshold);
    await sink.close(2000);
    expect(hook.received).toHaveLength(2);
    const gap = hook.received[1]!.at - hook.received[0]!.at;
    expect(gap).toBeGreaterThanOrEqual(250);
    expect(gap).toBeLessThan(900);
  });

  it('does not retry a 400 and logs it without the secret path', async () => {
    const hook = await receiver((_n, res) => res.writeHead(400).end('invalid_payload'));
    const log = recordingLog();
    const sink = new WebhookSink({ webhooks: [{ url: hook.url }], showAmounts: true, log, retry: FAST });
    sink.send(threshold);
    await sink.close(2000);
    expect(hook.received).toHaveLength(1);
    const warn = log.lines.find((l) => l.level === 'warn');
    expect(warn?.fields).toMatchObject({ attempts: 1, reason: 'HTTP 400: invalid_payload' });
    expect(JSON.stringify(log.lines)).not.toContain('secret-path');
  });

  it('does not follow a redirect, so the headers configured for the webhook go nowhere else', async () => {
    const elsewhere = await receiver((_n, res) => res.writeHead(200).end('ok'));
    const hook = await receiver((_n, res) => res.writeHead(302, { location: elsewhere.url }).end());
    const log = recordingLog();
    const sink = new WebhookSink({ webhooks: [{ url: hook.url, headers: { 'x-token': 'abc' } }], showAmounts: true, log, retry: FAST });
    sink.send(threshold);
    await sink.close(2000);
    expect(hook.received).toHaveLength(1);
    expect(elsewhere.received).toHaveLength(0);
    const warn = log.lines.find((l) => l.level === 'warn');
    expect(warn?.fields).toMatchObject({ attempts: 1, reason: expect.stringMatching(/^HTTP 302: the webhook redirects to http:\/\/127\.0\.0\.1:\d+; alerts are not sent on/) });
    expect(JSON.stringify(log.lines)).not.toContain('secret-path');
  });

  it('gives up on a dead port without throwing or blocking the caller', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const log = recordingLog();
    const sink = new WebhookSink({ webhooks: [{ url: `http://127.0.0.1:${port}/x` }], showAmounts: false, log, retry: { ...FAST, maxAttempts: 3 } });
    const started = performance.now();
    expect(() => sink.send(threshold)).not.toThrow();
    expect(performance.now() - started).toBeLessThan(50);
    await sink.close(2000);
    const warn = log.lines.find((l) => l.level === 'warn');
    expect(warn?.msg).toBe('alert webhook delivery failed');
    expect(warn?.fields).toMatchObject({ attempts: 3, reason: expect.stringContaining('ECONNREFUSED') });
  });

  it('drops the oldest alerts when the queue is full, and says how many', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const hook = await receiver((n, res) => void (n === 0 ? gate : Promise.resolve()).then(() => res.writeHead(200).end()));
    const log = recordingLog();
    const sink = new WebhookSink({ webhooks: [{ url: hook.url }], showAmounts: true, log, retry: FAST, queueSize: 2 });
    // e1 is taken at once; e2..e5 wait in a queue of two, so e2 and e3 make way.
    for (const m of ['e1', 'e2', 'e3', 'e4', 'e5']) sink.send(outage(m));
    await expect.poll(() => hook.received.length).toBe(1);
    release();
    await sink.close(2000);
    expect(hook.received.map((r) => (r.body.data as { message: string }).message)).toEqual(['e1', 'e4', 'e5']);
    expect(log.lines.find((l) => l.level === 'warn')).toMatchObject({ msg: 'alert webhook queue full: dropped the oldest alerts', fields: { dropped: 2 } });
  });

  it('sends only the alerts a webhook asks for', async () => {
    const all = await receiver((_n, res) => res.writeHead(200).end());
    const some = await receiver((_n, res) => res.writeHead(200).end());
    const sink = new WebhookSink({ webhooks: [{ url: all.url }, { url: some.url, events: ['counters.*'] }], showAmounts: true, log: recordingLog(), retry: FAST });
    sink.send(threshold);
    sink.send(outage('down'));
    await sink.close(2000);
    expect(all.received.map((r) => r.body.type)).toEqual(['budget.threshold', 'counters.fail_open']);
    expect(some.received.map((r) => r.body.type)).toEqual(['counters.fail_open']);
  });

  it('stops waiting at the close timeout and ignores later alerts', async () => {
    const hook = await receiver(() => undefined);
    const log = recordingLog();
    const sink = new WebhookSink({ webhooks: [{ url: hook.url }], showAmounts: true, log, retry: FAST, timeoutMs: 10_000 });
    sink.send(threshold);
    const started = Date.now();
    await sink.close(100);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(log.lines.find((l) => l.level === 'warn')).toMatchObject({ msg: 'alert webhooks did not finish before shutdown', fields: { undelivered: 1 } });
    sink.send(threshold);
    expect(hook.received).toHaveLength(1);
  });

  it('uses an injected fetch', async () => {
    const calls: string[] = [];
    const fake: typeof fetch = (input) => {
      calls.push(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
      return Promise.resolve(new Response(null, { status: 200 }));
    };
    const sink = new WebhookSink({ webhooks: [{ url: 'https://hooks.example/a' }], showAmounts: true, log: recordingLog(), fetch: fake });
    sink.send(threshold);
    await sink.close(1000);
    expect(calls).toEqual(['https://hooks.example/a']);
  });
});

describe('MemorySink and fanOut', () => {
  it('records the latest alerts and fans out to every sink', async () => {
    const a = new MemorySink(2);
    const b = new MemorySink();
    const broken = { send: () => { throw new Error('boom'); }, close: () => Promise.reject(new Error('boom')) };
    const both = fanOut(broken, a, b);
    for (const m of ['1', '2', '3']) both.send(outage(m));
    await both.close(10);
    expect(a.events.map((e) => (e.type === 'counters.fail_open' ? e.message : ''))).toEqual(['2', '3']);
    expect(b.events).toHaveLength(3);
  });
});

describe('retry timing', () => {
  it('doubles from the base, with jitter, up to the cap', () => {
    expect([0, 1, 2, 3].map((n) => backoffMs(DEFAULT_RETRY, n, () => 0.5))).toEqual([500, 1000, 2000, 4000]);
    expect(backoffMs(DEFAULT_RETRY, 20, () => 0.5)).toBe(30_000);
    // The waits between the default tries span a receiver outage of minutes, not seconds.
    const span = Array.from({ length: DEFAULT_RETRY.maxAttempts - 1 }, (_, n) => backoffMs(DEFAULT_RETRY, n, () => 0)).reduce((a, b) => a + b, 0);
    expect(span).toBeGreaterThan(120_000);
    expect(backoffMs(DEFAULT_RETRY, 0, () => 0)).toBe(400);
    expect(backoffMs(DEFAULT_RETRY, 0, () => 1)).toBe(600);
  });

  it('reads retry-after as seconds or a date, capped', () => {
    expect(retryAfterMs('3', 0, 60_000)).toBe(3000);
    expect(retryAfterMs('120', 0, 60_000)).toBe(60_000);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 4000, 60_000)).toBe(6000);
    expect(retryAfterMs('soon', 0, 60_000)).toBeUndefined();
    expect(retryAfterMs(null, 0, 60_000)).toBeUndefined();
  });
});

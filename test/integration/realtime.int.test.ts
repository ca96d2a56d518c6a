import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createPricer } from '../../src/pricing/index.js';
import { parseRule, budgetInput, toBudget } from '../../src/policy/rule-input.js';
import { budgetCounter } from '../../src/policy/plan.js';
import { parseScope } from '../../src/policy/scope.js';
import { type Harness, defaultProviders, eventually, startHarness, useHarness } from '../support/harness.js';
import { routingFrom } from '../support/routing.js';
import type { RoutingStatusJson } from '../../src/cli/commands/routing-status.js';

interface Socket {
  ws: WebSocket;
  events: Record<string, unknown>[];
  closed: Promise<number>;
}

async function realtime(url: string, key: string, model = 'gpt-realtime'): Promise<Socket> {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/v1/realtime?model=${model}`, { headers: { authorization: `Bearer ${key}` } });
  const events: Record<string, unknown>[] = [];
  ws.on('message', (d: Buffer) => events.push(JSON.parse(d.toString()) as Record<string, unknown>));
  const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
  await new Promise<void>((ok, fail) => ws.once('open', () => ok()).once('error', fail));
  return { ws, events, closed };
}

async function until(ok: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const done = (s: Socket) => s.events.filter((e) => e.type === 'response.done').length;

/** Asks for `n` responses one at a time, as a voice session runs, each after the one before is done. */
async function oneAtATime(s: Socket, n: number): Promise<void> {
  for (let i = done(s) + 1, end = done(s) + n; i <= end; i++) {
    s.ws.send(JSON.stringify({ type: 'response.create' }));
    await until(() => done(s) === i);
  }
}

// $4 a million text in, $32 audio in, $0.40 cached (text or audio), $16 text out, $64 audio out (the catalog's gpt-realtime):
// 400 text + 600 audio uncached, 300 text + 200 audio cached, 100 text + 300 audio out = $0.0418.
const USAGE = { input: 1000, cacheRead: 500, output: 400, audioInput: 600, audioCacheRead: 200, audioOutput: 300 };
const COST = 41_800_000_000n;

describe('the Realtime API through Tollgate', () => {
  const h = useHarness({ price: createPricer() });

  it('relays a voice session unchanged and records a row per response, audio priced at audio rates', async () => {
    h.fake.setDefault({ usage: USAGE, chunks: 5 });
    const s = await realtime(h.url, h.key.key);
    await until(() => s.events.some((e) => e.type === 'session.created'));
    s.ws.send(JSON.stringify({ type: 'session.update', session: { type: 'realtime', instructions: 'Be brief.' } }));
    s.ws.send(JSON.stringify({ type: 'response.create' }));
    await until(() => done(s) === 1);
    // A response the server starts by itself (voice activity detection ends the user's turn).
    s.ws.send(JSON.stringify({ type: 'input_audio_buffer.commit' }));
    await until(() => done(s) === 2);
    s.ws.close();
    await s.closed;
    const calls = h.fake.requests.filter((r) => r.path === '/v1/realtime');
    expect(calls.map((c) => (c.json as { type: string }).type)).toEqual(['session.update', 'response.create', 'input_audio_buffer.commit']);
    expect(calls[0]!.headers.authorization).toBe('Bearer sk-upstream-openai');
    // Every event the upstream sent reached the client as it came (session.created was sent before any request).
    expect(s.events.slice(1).map((e) => JSON.stringify(e)).join('')).toBe(calls.map((c) => c.sent.toString()).join(''));
    const rows = await h.rows();
    expect(rows).toHaveLength(2);
    for (const r of rows) {
      expect(r).toMatchObject({ api: 'openai.realtime', model: 'gpt-realtime', stream: true, status: 200, outcome: 'ok', usageSource: 'final', keyId: h.key.id });
      expect(r).toMatchObject({ inputTokens: 1500, cacheReadTokens: 500, outputTokens: 400, costPicos: COST, unpriced: false });
      expect(r.responseId).toMatch(/^resp_/);
    }
  });

  it('a cancelled response keeps its usage; a failed one is an upstream error', async () => {
    h.fake.script({ usage: USAGE, stopReason: 'cancelled' }, { usage: USAGE, stopReason: 'failed' });
    const s = await realtime(h.url, h.key.key);
    s.ws.send(JSON.stringify({ type: 'response.create' }));
    s.ws.send(JSON.stringify({ type: 'response.create' }));
    await until(() => done(s) === 2);
    s.ws.close();
    const rows = await h.rows();
    // Two rows of the same millisecond: their order in the ledger is the ids', random within it.
    expect(rows.map((r) => [r.outcome, r.errorType, r.costPicos]).sort()).toEqual([
      ['client_aborted', 'response_cancelled', COST],
      ['upstream_error', 'server_error', COST],
    ]);
  });

  it('a socket cut in the middle of a response records it as truncated, and the client sees the close', async () => {
    h.fake.script({ usage: USAGE, cutAfterEvents: 2 });
    const s = await realtime(h.url, h.key.key);
    s.ws.send(JSON.stringify({ type: 'response.create' }));
    expect(await s.closed).toBe(1011);
    const [row] = await h.rows();
    expect(row).toMatchObject({ api: 'openai.realtime', outcome: 'truncated', errorType: 'upstream_disconnected', usageSource: 'none', model: 'gpt-realtime' });
  });

  it('a browser’s key, sent as the openai-insecure-api-key subprotocol, is read; upstream it becomes the configured key in the Authorization header', async () => {
    const ws = new WebSocket(`${h.url.replace(/^http/, 'ws')}/v1/realtime?model=gpt-realtime`, ['realtime', `openai-insecure-api-key.${h.key.key}`]);
    const events: Record<string, unknown>[] = [];
    ws.on('message', (d: Buffer) => events.push(JSON.parse(d.toString()) as Record<string, unknown>));
    await new Promise<void>((ok, fail) => ws.once('open', () => ok()).once('error', fail));
    expect(ws.protocol).toBe('realtime');
    ws.send(JSON.stringify({ type: 'response.create' }));
    await until(() => events.some((e) => e.type === 'response.done'));
    ws.close();
    const [up] = h.fake.requests;
    expect(up!.headers.authorization).toBe('Bearer sk-upstream-openai');
    expect(up!.headers['sec-websocket-protocol']).toBe('realtime');
    const [row] = await h.rows();
    expect(row).toMatchObject({ api: 'openai.realtime', keyId: h.key.id, outcome: 'ok' });
  });

  it('a model the session switches to is the model of the responses after it', async () => {
    const s = await realtime(h.url, h.key.key, 'gpt-realtime-mini');
    s.ws.send(JSON.stringify({ type: 'session.update', session: { model: 'gpt-realtime' } }));
    s.ws.send(JSON.stringify({ type: 'response.create' }));
    await until(() => done(s) === 1);
    s.ws.close();
    expect((await h.rows()).map((r) => r.model)).toEqual(['gpt-realtime']);
  });

  it('answers a binary frame with an error event and forwards nothing of it; the session stays open and serves the next text event', async () => {
    h.fake.setDefault({ usage: USAGE });
    const s = await realtime(h.url, h.key.key);
    await until(() => s.events.some((e) => e.type === 'session.created'));
    // Even a binary frame holding a client event is none: the API's events are JSON text.
    s.ws.send(Buffer.from(JSON.stringify({ type: 'response.create' })), { binary: true });
    s.ws.send(Buffer.from([0x00, 0x01, 0xfe, 0xff]), { binary: true });
    s.ws.send(JSON.stringify({ type: 'response.create' }));
    await until(() => done(s) === 1);
    const errors = s.events.filter((e) => e.type === 'error');
    expect(errors).toEqual([0, 1].map(() => ({ type: 'error', status: 400, error: expect.objectContaining({ type: 'invalid_request_error', code: 'invalid_request', message: expect.stringContaining('JSON text events only') as unknown }) as unknown })));
    expect(s.events.findIndex((e) => e.type === 'error')).toBeLessThan(s.events.findIndex((e) => e.type === 'response.created'));
    await new Promise((r) => setTimeout(r, 100));
    const sent = h.fake.requests.filter((r) => r.method === 'WS');
    expect(sent.map((r) => r.body.toString())).toEqual([JSON.stringify({ type: 'response.create' })]);
    expect(s.ws.readyState).toBe(WebSocket.OPEN);
    s.ws.close();
    expect(await s.closed).toBe(1005);
    const rows = await h.rows();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ api: 'openai.realtime', outcome: 'ok', costPicos: COST });
  });
});

describe('the Realtime API under a budget', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });
  const quarter = toBudget(parseRule(budgetInput, { scope: 'user:alice', window: 'day', limit_usd: 0.25 }), 'budget', 'config', 0);
  const line = (p: NonNullable<Harness['tollgate']['policy']>) => budgetCounter(p.settings.keyPrefix, quarter, p.rules.current(), Date.now(), p.settings.timeZone).line;

  it('a socket opens only while the budget can pay for a response; each response is charged to it as it ends', async () => {
    h = await startHarness({ price: createPricer(), policy: { rules: { budgets: [quarter], rateLimits: [], modelPolicies: [] } } });
    h.fake.setDefault({ usage: USAGE });
    const s = await realtime(h.url, h.key.key);
    // One at a time: each holds its estimate while it runs.
    await oneAtATime(s, 3);
    s.ws.close();
    // Settled after each response ends, off the socket's path.
    const p = h.tollgate.policy!;
    await eventually(async () => expect((await p.counters.read([line(p)]))[0]).toMatchObject({ spent: 3n * COST, held: 0n }));
    // $0.1254 spent of $0.25: less is left than one response's estimate (the default output cap, 8,192 tokens at $16 a million:
    // $0.131), so the next socket is refused.
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`${h!.url.replace(/^http/, 'ws')}/v1/realtime?model=gpt-realtime`, { headers: { authorization: `Bearer ${h!.key.key}` } });
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => resolve(101));
      ws.on('error', () => undefined);
    });
    expect(status).toBe(402);
    const rows = await h.rows();
    expect(rows.map((r) => [r.api, r.outcome]).sort()).toEqual([
      ['openai.realtime', 'ok'],
      ['openai.realtime', 'ok'],
      ['openai.realtime', 'ok'],
      ['openai.realtime', 'rejected'],
    ]);
    expect(rows.find((r) => r.outcome === 'rejected')).toMatchObject({ errorType: 'budget_exceeded', status: 402 });
  });

  it('each response is admitted as it starts: one the budget cannot pay for is cancelled upstream, and the client told why', async () => {
    h = await startHarness({ price: createPricer(), policy: { rules: { budgets: [quarter], rateLimits: [], modelPolicies: [] } } });
    h.fake.setDefault({ usage: USAGE, chunks: 10, chunkDelayMs: 20 });
    const s = await realtime(h.url, h.key.key);
    // Each response holds its estimate ($0.131: the default output cap at $16 a million) while it runs, then costs $0.0418:
    // three fit in $0.25, the fourth's estimate does not ($0.1254 spent).
    await oneAtATime(s, 4);
    s.ws.close();
    const refusal = s.events.find((e) => e.type === 'error');
    expect(refusal).toMatchObject({ status: 402, error: { code: 'budget_exceeded' } });
    const last = s.events.filter((e) => e.type === 'response.done').at(-1);
    expect(last).toMatchObject({ response: { status: 'cancelled' } });
    const cancels = h.fake.requests.filter((r) => (r.json as { type?: string }).type === 'response.cancel');
    expect(cancels.map((r) => r.json)).toEqual([{ type: 'response.cancel', response_id: (last!.response as { id: string }).id }]);
    const rows = await h.rows();
    expect(rows.map((r) => [r.outcome, r.status, r.errorType])).toEqual([
      ['ok', 200, null],
      ['ok', 200, null],
      ['ok', 200, null],
      ['rejected', 402, 'budget_exceeded'],
    ]);
    // What the cancelled response ran (its input) is charged all the same, and nothing stays held.
    const p = h.tollgate.policy!;
    await eventually(async () => expect((await p.counters.read([line(p)]))[0]).toMatchObject({ spent: 3n * COST + rows[3]!.costPicos!, held: 0n }));
    expect(rows[3]!.costPicos).toBeGreaterThan(0n);
    expect(rows[3]!.outputTokens).toBe(0);
  });
});

describe('a Realtime session under a rate limit', () => {
  const limit = { id: 'rpm', name: null, scope: parseScope('user:alice'), rpm: 3, tpm: null, concurrency: null, fail: 'open' as const, source: 'config' as const, createdAt: 0 };
  const h = useHarness({ price: createPricer(), policy: { rules: { budgets: [], rateLimits: [limit], modelPolicies: [] } } });

  it('counts each response as a request (and the socket’s opening as one): past the limit a response is cancelled with a 429', async () => {
    // The sliding minute rounds the last minute's weighted count down: the test must not straddle a minute's turn.
    const into = Date.now() % 60_000;
    if (into > 45_000) await new Promise((r) => setTimeout(r, 60_100 - into));
    h.fake.setDefault({ usage: USAGE, chunks: 10, chunkDelayMs: 20 });
    const s = await realtime(h.url, h.key.key);
    await oneAtATime(s, 3);
    s.ws.close();
    expect(s.events.find((e) => e.type === 'error')).toMatchObject({ status: 429, error: { code: 'rate_limited' } });
    expect((await h.rows()).map((r) => [r.outcome, r.status, r.errorType])).toEqual([
      ['ok', 200, null],
      ['ok', 200, null],
      ['rejected', 429, 'rate_limited'],
    ]);
  });
});

describe('a model policy on sockets', () => {
  const rewrite = { id: 'mini', name: null, scope: parseScope('team:platform'), allow: null, deny: [], rewrites: [{ from: 'gpt-5-pro', to: 'gpt-5-mini' }, { from: 'gpt-realtime', to: 'gpt-realtime-mini' }], allowKeep: false, source: 'config' as const, createdAt: 0 };
  const h = useHarness({ price: createPricer(), policy: { rules: { budgets: [], rateLimits: [], modelPolicies: [rewrite] } } });

  it('rewrites a Responses socket’s response.create, and a Realtime socket’s model in its URL', async () => {
    const ws = new WebSocket(`${h.url.replace(/^http/, 'ws')}/v1/responses`, { headers: { authorization: `Bearer ${h.key.key}` } });
    const got: string[] = [];
    ws.on('message', (d: Buffer) => got.push(d.toString()));
    await new Promise<void>((ok, fail) => ws.once('open', () => ok()).once('error', fail));
    ws.send(JSON.stringify({ type: 'response.create', model: 'gpt-5-pro', input: 'hi' }));
    await until(() => got.some((m) => m.includes('"response.completed"')));
    ws.close();
    const s = await realtime(h.url, h.key.key, 'gpt-realtime');
    s.ws.send(JSON.stringify({ type: 'response.create' }));
    await until(() => done(s) === 1);
    s.ws.close();
    const ups = h.fake.requests;
    expect(ups[0]!.json).toEqual({ type: 'response.create', model: 'gpt-5-mini', input: 'hi' });
    expect(s.events[0]).toMatchObject({ type: 'session.created', session: { model: 'gpt-realtime-mini' } });
    const rows = await h.rows();
    expect(rows.map((r) => [r.api, r.modelRequested, r.model]).sort()).toEqual([
      ['openai.realtime', 'gpt-realtime', 'gpt-realtime-mini'],
      ['openai.responses', 'gpt-5-pro', 'gpt-5-mini'],
    ]);
  });
});

describe('a Realtime socket whose model a configured route serves', () => {
  let h: Harness;
  afterEach(() => h.close());
  const routed = (first: (url: string) => string, retryOn?: string[]) => (url: string) =>
    routingFrom(
      {
        routing: { health: { cooldown_failures: 1 }, ...(retryOn ? { retry: { on: retryOn } } : {}) },
        routes: [
          {
            model: 'gpt-realtime*',
            deployments: [
              { provider: 'openai', name: 'rt-first', base_url: first(url), api_key: 'sk-first' },
              { provider: 'openai', name: 'rt-eu', api_key: 'sk-rt-eu', model: 'gpt-realtime-2025-08-28', order: 1 },
            ],
          },
        ],
      },
      defaultProviders(url),
    );
  const deploymentStatus = async (name: string) => {
    const res = await fetch(`${h.url}/admin/v1/routing/status`, { headers: { authorization: 'Bearer admin-secret' } });
    const body = (await res.json()) as RoutingStatusJson;
    return body.routes[0]!.deployments.find((d) => d.deployment === name);
  };
  /** Opens a Realtime socket through Tollgate: the deployment its 101 names, or the status of a refusal. */
  const dial = (model = 'gpt-realtime') =>
    new Promise<{ ws?: WebSocket; events: Record<string, unknown>[]; deployment?: unknown; status?: number }>((resolve) => {
      const ws = new WebSocket(`${h.url.replace(/^http/, 'ws')}/v1/realtime?model=${model}`, { headers: { authorization: `Bearer ${h.key.key}` } });
      const events: Record<string, unknown>[] = [];
      let deployment: unknown;
      ws.on('message', (d: Buffer) => events.push(JSON.parse(d.toString()) as Record<string, unknown>));
      ws.once('upgrade', (res) => (deployment = res.headers['x-tollgate-deployment']));
      ws.once('open', () => resolve({ ws, events, deployment }));
      ws.on('unexpected-response', (_req, r) => resolve({ events, status: r.statusCode ?? 0 }));
      ws.on('error', () => undefined);
    });

  it('goes to the deployment the router picks, with its key and model name; an unreachable one is passed over, and rests', async () => {
    h = await startHarness({ routing: routed(() => 'http://127.0.0.1:1') });
    // The first choice (order 0) cannot be reached: the handshake goes on to the next deployment while the client waits.
    const first = await dial();
    expect(first.deployment).toBe('rt-eu');
    first.ws!.send(JSON.stringify({ type: 'response.create' }));
    await until(() => first.events.some((e) => e.type === 'response.done'));
    first.ws!.close();
    // Its failure counted: it rests (cooldown after one), and the next socket goes straight on.
    expect(await deploymentStatus('rt-first')).toMatchObject({ available: false, cooldown_until: expect.any(String), recent: { outcomes: 1, failures: 1 } });
    expect(await deploymentStatus('rt-eu')).toMatchObject({ available: true, recent: { outcomes: 1, failures: 0 } });
    const second = await dial();
    expect(second.deployment).toBe('rt-eu');
    second.ws!.close();
    expect(await deploymentStatus('rt-first')).toMatchObject({ recent: { outcomes: 1 } });
    const ups = h.fake.requests.filter((r) => r.path === '/v1/realtime');
    expect(ups.map((r) => r.headers.authorization)).toEqual(['Bearer sk-rt-eu']);
    expect(first.events[0]).toMatchObject({ type: 'session.created', session: { model: 'gpt-realtime-2025-08-28' } });
    const rows = await h.rows();
    expect(rows.map((r) => [r.outcome, r.status, r.modelRequested, r.model, r.provider])).toEqual([['ok', 200, 'gpt-realtime', 'gpt-realtime-2025-08-28', 'openai']]);
  });

  it('a rate-limited deployment’s 429 becomes a socket on the next one; where the route does not retry rate limits, the client gets the 429', async () => {
    h = await startHarness({ routing: routed((url) => `${url}/rate-limited`) });
    const s = await dial();
    expect(s.deployment).toBe('rt-eu');
    s.ws!.close();
    // A rate limit is not a fault: the deployment rests until the retry-after, its health untouched.
    expect(await deploymentStatus('rt-first')).toMatchObject({ recent: { failures: 0 }, rate_limit: { blocked_until: expect.any(String) } });
    await h.close();
    h = await startHarness({ routing: routed((url) => `${url}/rate-limited`, ['server_error']) });
    expect((await dial()).status).toBe(429);
    const rows = await h.rows();
    expect(rows.map((r) => [r.outcome, r.status, r.errorType])).toEqual([['upstream_error', 429, 'http_429']]);
  });
});

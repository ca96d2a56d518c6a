import { request as httpRequest } from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { LedgerRow } from '../../src/core/ledger-row.js';
import type { PriceFn } from '../../src/metering/build-row.js';
import { openSqlite } from '../../src/storage/sqlite/sqlite-storage.js';
import { parseRule, budgetInput, toBudget } from '../../src/policy/rule-input.js';
import { AGENT_BIN, runAgentOk } from '../support/agent-run.js';
import { type Harness, defaultProviders, startHarness, useHarness } from '../support/harness.js';
import { routingFrom } from '../support/routing.js';
import { openSocket, until } from '../support/websocket.js';

/** A socket to the gateway's Responses WebSocket, and every message it received. */
const open = (url: string, key: string, headers: Record<string, string> = {}) => openSocket(url, '/v1/responses', key, headers);

/** Sends a `response.create` and waits for its terminal event. */
async function create(s: { ws: WebSocket; got: string[] }, body: Record<string, unknown>): Promise<string[]> {
  const from = s.got.length;
  s.ws.send(JSON.stringify({ type: 'response.create', ...body }));
  await until(() => s.got.slice(from).some((m) => /"type":"(response\.(completed|failed|incomplete)|error)"/.test(m)));
  return s.got.slice(from);
}

describe('the Responses API over a WebSocket', () => {
  const h = useHarness();

  it('relays each response unchanged and records one row per response.create', async () => {
    h.fake.setDefault({ text: 'Hello there.', usage: { input: 1200, cacheRead: 1024, output: 40, reasoning: 8 } });
    const s = await open(h.url, h.key.key, { 'x-tollgate-tags': 'workflow=ws' });
    const first = await create(s, { model: 'gpt-5', input: 'hi', tools: [] });
    // The first response, made on this socket by this key: its follow-up may continue it (auth.stored_objects).
    const second = await create(s, { model: 'gpt-5-mini', input: 'again', previous_response_id: 'resp_fakeUpstream0001' });
    s.ws.close();
    await s.closed;
    const calls = h.fake.requests.filter((r) => r.method === 'WS');
    expect(calls).toHaveLength(2);
    // Byte for byte what the upstream sent, message by message; and the client's messages as it sent them.
    expect([...first, ...second].join('')).toBe(calls.map((c) => c.sent.toString()).join(''));
    expect(JSON.parse(calls[1]!.body.toString())).toEqual({ type: 'response.create', model: 'gpt-5-mini', input: 'again', previous_response_id: 'resp_fakeUpstream0001' });
    expect(calls[0]!.headers.authorization).toBe('Bearer sk-upstream-openai');
    const rows = await h.rows();
    expect(rows).toHaveLength(2);
    // Rows of the same millisecond are ordered by their ids, random within it.
    expect(rows.map((r) => r.model).sort()).toEqual(['gpt-5', 'gpt-5-mini']);
    for (const r of rows) {
      expect(r).toMatchObject({ api: 'openai.responses', stream: true, status: 200, outcome: 'ok', usageSource: 'final', keyId: h.key.id, inputTokens: 2224, cacheReadTokens: 1024, outputTokens: 40, reasoningTokens: 8, tags: { workflow: 'ws' } });
      expect(r.costPicos).not.toBeNull();
    }
    expect(rows[0]!.id).not.toBe(rows[1]!.id);
  });

  it('a response cut by the upstream is recorded as truncated, and the client sees the socket close', async () => {
    h.fake.script({ usage: { input: 500, output: 40 }, cutAfterEvents: 3 });
    const s = await open(h.url, h.key.key);
    s.ws.send(JSON.stringify({ type: 'response.create', model: 'gpt-5', input: 'x'.repeat(4000) }));
    expect(await s.closed).toBe(1011);
    const [row] = await h.rows();
    expect(row).toMatchObject({ outcome: 'truncated', errorType: 'upstream_disconnected', usageSource: 'estimated', model: 'gpt-5' });
    expect(row!.inputTokens).toBeGreaterThan(0);
  });

  it('a client that leaves mid-response is recorded as client_aborted', async () => {
    h.fake.script({ usage: { input: 500, output: 40 }, chunks: 20, chunkDelayMs: 30 });
    const s = await open(h.url, h.key.key);
    s.ws.send(JSON.stringify({ type: 'response.create', model: 'gpt-5', input: 'hi' }));
    await until(() => s.got.length >= 3);
    s.ws.terminate();
    await until(() => h.fake.requests[0]?.outcome !== 'pending');
    const rows = await h.rows();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ outcome: 'client_aborted', errorType: 'client_disconnected' });
  });

  it('an error event ends the response: the row carries its status', async () => {
    h.fake.script({ status: 429, error: { type: 'rate_limit_error', code: 'rate_limit_exceeded', message: 'Slow down.' } });
    const s = await open(h.url, h.key.key);
    const got = await create(s, { model: 'gpt-5', input: 'hi' });
    expect(JSON.parse(got[0]!)).toMatchObject({ type: 'error', status: 429, error: { code: 'rate_limit_exceeded' } });
    s.ws.close();
    const [row] = await h.rows();
    expect(row).toMatchObject({ status: 429, outcome: 'upstream_error', errorType: 'rate_limit_error' });
  });

  it('a response.create naming a model past 256 characters gets an error event, goes nowhere, and its row keeps 256', async () => {
    const s = await open(h.url, h.key.key);
    const got = await create(s, { model: 'm'.repeat(5000), input: 'hi' });
    expect(JSON.parse(got[0]!)).toMatchObject({ type: 'error', status: 400 });
    s.ws.close();
    const [row] = await h.rows();
    expect(row).toMatchObject({ status: 400, outcome: 'rejected', errorType: 'invalid_request' });
    expect(row!.modelRequested).toHaveLength(256);
    expect(h.fake.requests).toHaveLength(0);
  });

  it('a bad key is refused at the handshake with the HTTP answer the API would give, and recorded', async () => {
    const err = await new Promise<{ status: number; body: string }>((resolve) => {
      const ws = new WebSocket(`${h.url.replace(/^http/, 'ws')}/v1/responses`, { headers: { authorization: 'Bearer tg_not_a_key' } });
      ws.on('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      ws.on('error', () => undefined);
    });
    expect(err.status).toBe(401);
    expect(JSON.parse(err.body)).toMatchObject({ error: { code: 'invalid_api_key' } });
    expect(h.fake.requests).toHaveLength(0);
    const [row] = await h.rows();
    expect(row).toMatchObject({ api: 'openai.responses', status: 401, outcome: 'rejected', errorType: 'invalid_api_key' });
  });

  it('a handshake without a WebSocket key is refused with a 400 before anything goes upstream', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${h.url}/v1/responses`, { headers: { authorization: `Bearer ${h.key.key}`, connection: 'Upgrade', upgrade: 'websocket' } });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(400);
    expect(h.fake.requests).toHaveLength(0);
  });

  it('another path is refused with a 404 and goes nowhere', async () => {
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`${h.url.replace(/^http/, 'ws')}/v1/chat/completions`, { headers: { authorization: `Bearer ${h.key.key}` } });
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('error', () => undefined);
    });
    expect(status).toBe(404);
    expect(h.fake.requests).toHaveLength(0);
  });

  it('a request asking for another upgrade (curl --http2 asks for h2c) is served as the plain HTTP request it is', async () => {
    h.fake.setDefault({ usage: { input: 30, output: 5 } });
    const body = JSON.stringify({ model: 'gpt-5', messages: [{ role: 'user', content: 'hi' }] });
    const answers = await Promise.all(
      [0, 1].map(
        () =>
          new Promise<{ status: number; body: string }>((resolve, reject) => {
            const req = httpRequest(`${h.url}/v1/chat/completions`, {
              method: 'POST',
              headers: { authorization: `Bearer ${h.key.key}`, 'content-type': 'application/json', connection: 'Upgrade, HTTP2-Settings', upgrade: 'h2c', 'http2-settings': 'AAMAAABkAAQAoAAAAAIAAAAA' },
            });
            req.on('response', (res) => {
              let text = '';
              res.on('data', (c: Buffer) => (text += c.toString()));
              res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
            });
            req.on('upgrade', () => reject(new Error('upgraded')));
            req.on('error', reject);
            // The body in two writes: what follows the head reaches the request too.
            req.write(body.slice(0, 20));
            setTimeout(() => req.end(body.slice(20)), 20);
          }),
      ),
    );
    for (const a of answers) expect(a.status, a.body).toBe(200);
    expect(JSON.parse(answers[0]!.body)).toMatchObject({ object: 'chat.completion' });
    const calls = h.fake.requests.filter((r) => r.path === '/v1/chat/completions');
    expect(calls.map((c) => c.json)).toEqual([JSON.parse(body), JSON.parse(body)]);
    expect(calls[0]!.headers.upgrade).toBeUndefined();
    const rows = await h.rows();
    expect(rows.map((r) => [r.api, r.outcome, r.inputTokens])).toEqual([
      ['openai.chat', 'ok', 30],
      ['openai.chat', 'ok', 30],
    ]);
  });

  it('Codex through its built-in OpenAI provider uses the socket, with no reconnect and no fallback', async () => {
    h.fake.setDefault({ text: 'Done.', usage: { input: 300, cacheRead: 1024, output: 40, reasoning: 16 } });
    const { stdout, stderr } = await codexSaysHi(h, 'codex-ws');
    expect(stdout).toContain('Done.');
    expect(stderr).not.toMatch(/Reconnecting|Falling back/);
    const calls = h.fake.requests.filter((r) => r.method === 'WS' && (r.json as { type?: string }).type === 'response.create');
    expect(calls.length).toBeGreaterThan(0);
    expect(h.fake.requests.filter((r) => r.method === 'POST')).toHaveLength(0);
    const rows = (await h.rows()).filter((r) => r.api === 'openai.responses');
    expect(rows).toHaveLength(calls.length);
    expect(rows[0]).toMatchObject({ client: 'codex', stream: true, inputTokens: 1324, cacheReadTokens: 1024, outputTokens: 40, reasoningTokens: 16, outcome: 'ok' });
    expect(rows[0]!.sessionId).toBe(calls[0]!.headers['session-id'] ?? calls[0]!.headers['session_id']);
  });
});

/** A handshake Tollgate answers itself: its status and error body. */
function refusedHandshake(url: string, key: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${key}` } });
    ws.on('unexpected-response', (_req, r) => {
      let body = '';
      r.on('data', (c: Buffer) => (body += c.toString()));
      r.on('end', () => resolve({ status: r.statusCode ?? 0, body }));
    });
    ws.on('open', () => reject(new Error('the socket opened')));
    ws.on('error', () => undefined);
  });
}

describe('where routes or routing rules govern Responses traffic', () => {
  let h: Harness;
  afterEach(() => h.close());
  const routed = (url: string) => routingFrom({ routing: { affinity: { enabled: false } }, routes: [{ model: 'gpt-5*', deployments: [{ provider: 'openai', name: 'eu', api_key: 'sk-route-eu' }] }] }, defaultProviders(url));

  it('a socket gets a 426 (use HTTP) before anything goes upstream, and no row; /p/{provider} still opens one', async () => {
    h = await startHarness({ routing: routed });
    const res = await refusedHandshake(`${h.url.replace(/^http/, 'ws')}/v1/responses`, h.key.key);
    expect(res.status).toBe(426);
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'http_required', message: expect.stringContaining('POST /v1/responses') } });
    expect(h.fake.requests).toHaveLength(0);
    expect(await h.rows()).toHaveLength(0);
    // Addressed to one provider, a request takes the plain path, where no route applies.
    const ws = new WebSocket(`${h.url.replace(/^http/, 'ws')}/p/openai/v1/responses`, { headers: { authorization: `Bearer ${h.key.key}` } });
    const got: string[] = [];
    ws.on('message', (d: Buffer) => got.push(d.toString()));
    await new Promise((ok, fail) => ws.once('open', ok).once('error', fail));
    await create({ ws, got }, { model: 'gpt-5', input: 'hi' });
    ws.close();
    expect((await h.rows()).map((r) => [r.api, r.outcome])).toEqual([['openai.responses', 'ok']]);
    expect(h.fake.requests[0]!.headers.authorization).toBe('Bearer sk-upstream-openai');
  });

  it('a routing rule that may apply to the Responses API sends sockets to HTTP; one limited to other APIs does not', async () => {
    h = await startHarness({ routingRules: [{ id: 'small', mode: 'shadow', match: { maxTokens: { lte: 100 } }, action: { model: 'gpt-5-mini' } }] });
    expect((await refusedHandshake(`${h.url.replace(/^http/, 'ws')}/v1/responses`, h.key.key)).status).toBe(426);
    await h.close();
    h = await startHarness({ routingRules: [{ id: 'chat-only', mode: 'enforce', match: { api: ['openai.chat'] }, action: { model: 'gpt-5-mini' } }] });
    const s = await open(h.url, h.key.key);
    await create(s, { model: 'gpt-5', input: 'hi' });
    s.ws.close();
    expect((await h.rows()).map((r) => r.api)).toEqual(['openai.responses']);
  });

  it('Codex through its built-in OpenAI provider moves to HTTP at once, where the route serves it', async () => {
    h = await startHarness({ routing: routed });
    const posts = await codexOverHttp(h, 'codex-routed', '/v1/responses');
    expect(posts[0]!.headers.authorization).toBe('Bearer sk-route-eu');
    const rows = (await h.rows()).filter((r) => r.api === 'openai.responses');
    expect(rows).toHaveLength(posts.length);
    expect(rows[0]).toMatchObject({ client: 'codex', outcome: 'ok', inputTokens: 300, outputTokens: 40 });
    expect((await h.tollgate.storage.ledger.attempts(rows[0]!.id)).map((a) => a.deployment)).toEqual(['eu']);
  });
});

describe('an upstream without the WebSocket mode', () => {
  it('refuses the handshake: the client gets its answer with a 426 for its 404, and the row records both', async () => {
    const h = await startHarness({ providers: (url) => defaultProviders(`${url}/no-sockets`) });
    try {
      const res = await new Promise<{ status: number; body: string; id: unknown }>((resolve) => {
        const ws = new WebSocket(`${h.url.replace(/^http/, 'ws')}/v1/responses`, { headers: { authorization: `Bearer ${h.key.key}` } });
        ws.on('unexpected-response', (_req, r) => {
          let body = '';
          r.on('data', (c: Buffer) => (body += c.toString()));
          r.on('end', () => resolve({ status: r.statusCode ?? 0, body, id: r.headers['x-request-id'] }));
        });
        ws.on('error', () => undefined);
      });
      expect(res).toMatchObject({ status: 426, id: 'req_ws_refused' });
      expect(JSON.parse(res.body)).toMatchObject({ error: { message: 'Invalid URL (GET /no-sockets/v1/responses)' } });
      const [row] = await h.rows();
      expect(row).toMatchObject({ api: 'openai.responses', status: 426, outcome: 'upstream_error', errorType: 'http_404', upstreamRequestId: 'req_ws_refused' });
    } finally {
      await h.close();
    }
  });

  it('Codex moves to HTTP at once, without the five reconnects a 404 costs it', async () => {
    const h = await startHarness({ providers: (url) => defaultProviders(`${url}/http-only`) });
    try {
      const posts = await codexOverHttp(h, 'codex-http-only', '/http-only/v1/responses');
      const rows = (await h.rows()).filter((r) => r.api === 'openai.responses');
      expect(rows.map((r) => [r.status, r.errorType]).sort()).toEqual([[200, null], ...posts.slice(1).map(() => [200, null]), [426, 'http_404']].sort());
    } finally {
      await h.close();
    }
  });

  it('an upstream that cannot be reached: a 502 at the handshake, and its row', async () => {
    const h = await startHarness({ providers: () => defaultProviders('http://127.0.0.1:1') });
    try {
      const status = await new Promise<number>((resolve) => {
        const ws = new WebSocket(`${h.url.replace(/^http/, 'ws')}/v1/responses`, { headers: { authorization: `Bearer ${h.key.key}` } });
        ws.on('unexpected-response', (_req, r) => resolve(r.statusCode ?? 0));
        ws.on('error', () => undefined);
      });
      expect(status).toBe(502);
      const [row] = await h.rows();
      expect(row).toMatchObject({ status: 502, outcome: 'upstream_error', errorType: 'upstream_unreachable' });
    } finally {
      await h.close();
    }
  });
});

describe('the Responses WebSocket at shutdown', () => {
  it('closes idle sockets at once (1001) and records a response still open at the drain deadline as cut by the gateway', async () => {
    const h = await startHarness();
    try {
      h.fake.setDefault({ stallAfterEvents: 2, usage: { input: 50, output: 10 } });
      const idle = await open(h.url, h.key.key);
      const busy = await open(h.url, h.key.key);
      busy.ws.send(JSON.stringify({ type: 'response.create', model: 'gpt-5', input: 'hold' }));
      await until(() => busy.got.length >= 2);
      const closing = h.tollgate.close();
      expect(await idle.closed).toBe(1001);
      await closing;
      expect(await busy.closed).toBe(1001);
      const storage = openSqlite(join(h.dir, 'tollgate.db'));
      const rows: LedgerRow[] = [];
      for await (const r of storage.ledger.scan({})) rows.push(r);
      await storage.close();
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ api: 'openai.responses', outcome: 'truncated', errorType: 'gateway_shutdown', usageSource: 'estimated' });
    } finally {
      await h.fake.close();
    }
  });
});

describe('the Responses WebSocket under a budget', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });
  /** $20 per million input tokens, $60 per million output. */
  const price: PriceFn = (r) => ({ costPicos: BigInt(r.usage.inputTokens) * 20_000_000n + BigInt(r.usage.outputTokens) * 60_000_000n, unpriced: false });

  it('each response.create is admitted on its own: once the budget is spent, the next gets an error event and goes nowhere', async () => {
    const b = toBudget(parseRule(budgetInput, { scope: 'user:alice', window: 'day', limit_usd: 0.05 }), 'budget', 'config', 0);
    h = await startHarness({ price, policy: { rules: { budgets: [b], rateLimits: [], modelPolicies: [] } } });
    // $0.06 of output per response: the first is admitted on its estimate, the second finds the budget spent.
    h.fake.setDefault({ usage: { input: 100, output: 1000 } });
    const s = await open(h.url, h.key.key);
    const first = await create(s, { model: 'gpt-5', input: 'hi', max_output_tokens: 500 });
    expect(first.at(-1)).toContain('response.completed');
    const second = await create(s, { model: 'gpt-5', input: 'hi', max_output_tokens: 500 });
    expect(JSON.parse(second[0]!)).toMatchObject({ type: 'error', status: 402, error: { code: 'budget_exceeded' } });
    s.ws.close();
    expect(h.fake.requests.filter((r) => r.method === 'WS')).toHaveLength(1);
    const rows = await h.rows();
    expect(rows.map((r) => r.outcome).sort()).toEqual(['ok', 'rejected']);
    expect(rows.find((r) => r.outcome === 'rejected')).toMatchObject({ errorType: 'budget_exceeded', status: 402 });
  });
});

/** `codex exec "say hi"` with Codex's built-in OpenAI provider pointed at the gateway (`openai_base_url`), in a home of its own. */
function codexSaysHi(h: Harness, home: string): Promise<{ stdout: string; stderr: string }> {
  const codexHome = join(h.dir, home);
  mkdirSync(codexHome, { recursive: true });
  writeFileSync(join(codexHome, 'config.toml'), ['model = "gpt-5"', `openai_base_url = "${h.url}/v1"`].join('\n'));
  return runAgentOk(join(AGENT_BIN, 'codex'), ['exec', '--skip-git-repo-check', 'say hi'], { env: { PATH: process.env.PATH, HOME: h.dir, CODEX_HOME: codexHome, CODEX_API_KEY: h.key.key }, cwd: h.dir, timeout: 60_000 });
}

/** Codex refused the socket once: it answers over HTTP without reconnecting (a 404 costs five, about 6 s). Its POSTs upstream. */
async function codexOverHttp(h: Harness, home: string, upstreamPath: string) {
  h.fake.setDefault({ text: 'Done.', usage: { input: 300, output: 40 } });
  const { stdout, stderr } = await codexSaysHi(h, home);
  expect(stdout).toContain('Done.');
  expect(stderr).not.toMatch(/Reconnecting/);
  const posts = h.fake.requests.filter((r) => r.method === 'POST' && r.path === upstreamPath);
  expect(posts.length).toBeGreaterThan(0);
  return posts;
}


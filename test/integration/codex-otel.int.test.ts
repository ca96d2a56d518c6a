import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { run as tollgate } from '../../src/cli/program.js';
import type { LedgerRow } from '../../src/core/ledger-row.js';
import { usd } from '../../src/core/money.js';
import { createPricer } from '../../src/pricing/index.js';
import { openSqlite } from '../../src/storage/sqlite/sqlite-storage.js';
import type { RecordedRequest } from '../fake-upstream/types.js';
import { AGENT_BIN, codexProvider, runAgentOk } from '../support/agent-run.js';
import { type Harness, startHarness } from '../support/harness.js';
import { type OtelApp, type Protocol, otelApp } from '../support/otel-sdk.js';

const pricer = createPricer();
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ price: (q) => pricer(q), telemetry: { enabled: true } });
});
afterAll(() => h.close());
beforeEach(async () => {
  h.fake.reset();
  await h.mark();
});

/** The attributes Codex 0.169.0 puts on every event, names and value types as it sends them. */
const common = { 'event.timestamp': '2026-12-07T23:03:56.833Z', 'conversation.id': 'cx-conv-1', 'app.version': '0.169.0', originator: 'codex_exec', 'terminal.type': 'unknown', model: 'gpt-5', slug: 'gpt-5' };
const completed = { 'event.name': 'codex.sse_event', 'event.kind': 'response.completed', input_token_count: '1324', output_token_count: '40', cached_token_count: 1024, cache_write_token_count: 0, reasoning_token_count: 16, tool_token_count: '1364', ttft_ms: 1, ...common };

describe.each<Protocol>(['http/json', 'http/protobuf'])('Codex telemetry sent by the OpenTelemetry SDK over %s', (protocol) => {
  let codex: OtelApp;
  // Each encoding's records at times of their own: the same record is the same row, whatever it came in.
  const base = protocol === 'http/json' ? 0 : 3_600_000;
  beforeAll(() => {
    codex = otelApp(`${h.url}/otlp`, protocol, { 'x-tollgate-key': h.key.key }, { 'service.name': 'codex_exec', 'service.version': '0.169.0', env: 'dev' }, 'codex_otel.log_only');
  });
  afterAll(() => codex.close());

  it('turns the completed response with token counts into one priced row; the other events add none', async () => {
    const at = new Date(Date.parse('2026-12-07T23:03:56.833Z') + base);
    codex.emit('', { 'event.name': 'codex.api_request', duration_ms: '134', 'http.response.status_code': 200, attempt: 0, endpoint: '/responses', ...common }, at);
    // Codex logs the completion twice: as a plain stream event, then with its counts.
    codex.emit('', { 'event.name': 'codex.sse_event', 'event.kind': 'response.completed', duration_ms: '0', ...common }, at);
    codex.emit('', { ...completed, 'user.account_id': 'acct-7', auth_mode: 'chatgpt' }, at);
    codex.emit('', { 'event.name': 'codex.websocket_event', 'event.kind': 'response.completed', ...common }, at);
    await codex.flushLogs();
    const rows = await h.rows();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      ts: at.getTime(),
      api: 'openai.responses',
      provider: 'openai',
      model: 'gpt-5',
      keyId: h.key.id,
      // The virtual key's user wins over the account the event names.
      user: 'alice',
      sessionId: 'cx-conv-1',
      client: 'codex',
      tags: { client_version: '0.169.0', auth_mode: 'chatgpt' },
      inputTokens: 1324,
      cacheReadTokens: 1024,
      cacheWriteTokens: 0,
      outputTokens: 40,
      reasoningTokens: 16,
      outcome: 'ok',
      usageSource: 'final',
      unpriced: false,
      upstreamRequestId: null,
      source: 'codex-otel',
    });
    // gpt-5: 300 uncached input at $1.25, 1024 cached at $0.125, 40 output at $10 per million.
    expect(rows[0]!.costPicos).toBe(usd('0.000903'));
  });

  it('is idempotent: the same event sent again adds no row', async () => {
    const at = new Date(Date.parse('2026-12-07T23:10:00.000Z') + base);
    await codex.log('', completed, at);
    await codex.log('', completed, at);
    expect(await h.rows()).toHaveLength(1);
  });
});

const sse = (type: string, data: Record<string, unknown>) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
const spawnCall = { type: 'function_call', id: 'fc_1', call_id: 'call_1', name: 'spawn_agent', namespace: 'multi_agent_v1', arguments: JSON.stringify({ message: 'check the readme' }), status: 'completed' };
const spawnResponse = (status: string, output: unknown[], usage: unknown) => ({ id: 'resp_spawn1', object: 'response', created_at: 1, status, model: 'gpt-5.1-codex-max', output, usage, service_tier: 'default' });
/** A Responses stream whose answer is a call of Codex's spawn_agent tool (as in codex-subagents.int.test.ts). */
const spawnEvents = [
  sse('response.created', { sequence_number: 0, response: spawnResponse('in_progress', [], null) }),
  sse('response.output_item.added', { sequence_number: 1, output_index: 0, item: { ...spawnCall, status: 'in_progress', arguments: '' } }),
  sse('response.output_item.done', { sequence_number: 2, output_index: 0, item: spawnCall }),
  sse('response.completed', { sequence_number: 3, response: spawnResponse('completed', [spawnCall], { input_tokens: 100, input_tokens_details: { cached_tokens: 0 }, output_tokens: 10, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 110 }) }),
];

/** Log exports Codex sent (their bodies, as text) and the status Tollgate answered each. */
const exports: { body: string; status: number }[] = [];

/** Exports the relay holds back instead of forwarding (while `held` is set), to forward later. */
let held: { url: string; type: string; body: Buffer }[] | null = null;
// A test that failed while holding exports back must not hold back the next one's.
beforeEach(() => {
  held = null;
});

/** Forwards one export to Tollgate, recording it and Tollgate's status. */
async function forward(url: string, type: string, body: Buffer): Promise<Response> {
  const r = await fetch(`${h.url}${url}`, { method: 'POST', headers: { 'content-type': type, 'x-tollgate-key': h.key.key }, body });
  exports.push({ body: body.toString('latin1'), status: r.status });
  return r;
}

/** A relay in front of the receiver: it records what Codex exported, so a test knows the export arrived. */
const relay = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const type = req.headers['content-type'] ?? '';
    if (held) {
      held.push({ url: req.url ?? '', type, body });
      // An empty ExportLogsServiceResponse, in either encoding.
      res.writeHead(200, { 'content-type': type });
      res.end(type.includes('json') ? '{}' : '');
      return;
    }
    void forward(req.url ?? '', type, body).then(async (r) => {
      res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? '' });
      res.end(Buffer.from(await r.arrayBuffer()));
    });
  });
});
beforeAll(() => new Promise<void>((r) => relay.listen(0, '127.0.0.1', r)));
afterAll(() => new Promise<void>((r) => relay.close(() => r())));

/** Runs the real Codex CLI once, its model calls to `base`, its own OTLP log export (through the relay) to this Tollgate. */
async function runCodex(base: string, protocol: 'json' | 'binary', socket = false, o: { model?: string; prompt?: string } = {}): Promise<string> {
  exports.length = 0;
  const otlp = `http://127.0.0.1:${(relay.address() as AddressInfo).port}/otlp/v1/logs`;
  const home = join(h.dir, `codex-${protocol}-${Math.random().toString(36).slice(2)}`);
  mkdirSync(home, { recursive: true });
  // The built-in provider (`openai_base_url`) talks to the Responses API over a WebSocket; a provider of its own over HTTP.
  const model = socket
    ? [`openai_base_url = "${base}/v1"`]
    : codexProvider(base);
  const otel = ['[otel]', `exporter = { otlp-http = { endpoint = "${otlp}", protocol = "${protocol}" } }`];
  writeFileSync(join(home, 'config.toml'), [`model = "${o.model ?? 'gpt-5'}"`, ...model, ...otel].join('\n'));
  const env = { PATH: process.env.PATH, HOME: h.dir, CODEX_HOME: home, TOLLGATE_KEY: h.key.key, CODEX_API_KEY: h.key.key };
  const { stdout } = await runAgentOk(join(AGENT_BIN, 'codex'), ['exec', '--skip-git-repo-check', o.prompt ?? 'say hi'], { env, cwd: h.dir, timeout: 60_000 });
  expect(stdout).toContain('Done.');
  return home;
}

/** `tollgate import` of a CODEX_HOME's rollouts into the harness's ledger: the rows it wrote. */
async function importRollouts(home: string, db = join(h.dir, 'tollgate.db')): Promise<number> {
  let out = '';
  const args = ['import', '--source', 'codex', '--dir', home, '--db', db, '--state', join(home, `import-state-${basename(db)}.json`), '--json'];
  expect(await tollgate(args, { out: (t) => void (out += t), err: () => undefined })).toBe(0);
  return (JSON.parse(out) as { written: number }).written;
}

/** How many token counts the exports so far carried (the attribute's name is plain text in either encoding). */
const countsExported = () => exports.reduce((n, e) => n + e.body.split('input_token_count').length - 1, 0);

/** Waits for Codex's export of its token counts (at least `calls` of them), which may still be on its way when Codex exits; Tollgate must have taken it. */
async function exported(calls = 1): Promise<void> {
  for (let i = 0; i < 100 && countsExported() < calls; i++) await new Promise((r) => setTimeout(r, 100));
  const counts = exports.filter((e) => e.body.includes('input_token_count'));
  expect(countsExported()).toBeGreaterThanOrEqual(calls);
  expect(counts.map((e) => e.status)).toEqual(counts.map(() => 200));
}

let answers = 0;
/** The fake's answer to Codex, a response id of its own each time: an imported rollout row is matched to the gateway's row by it. */
const answer = () => ({ id: `resp_codexOtel${++answers}`, text: 'Done.', usage: { input: 300, cacheRead: 1024, output: 40, reasoning: 16 } });

// The real Codex CLI's own OpenTelemetry export (its Rust OTLP/HTTP exporter, both encodings).
describe.each(['json', 'binary'] as const)('the Codex CLI exporting its logs (protocol %s)', (protocol) => {
  it('a call straight to the provider is one row, with the counts the provider sent and Codex’s session', async () => {
    h.fake.setDefault(answer());
    await runCodex(h.fake.url, protocol);
    const calls = h.fake.requests.filter((r) => r.path === '/v1/responses');
    expect(calls.length).toBeGreaterThan(0);
    await exported();
    const rows = (await h.rows()).filter((r) => r.source === 'codex-otel');
    expect(rows).toHaveLength(calls.length);
    expect(rows[0]).toMatchObject({ client: 'codex', model: 'gpt-5', inputTokens: 1324, cacheReadTokens: 1024, outputTokens: 40, reasoningTokens: 16, sessionId: calls[0]!.headers['session-id'], tags: { client_version: '0.169.0' }, unpriced: false });
  });

  it('a call straight to the provider counts once when its rollout is imported too, before or after its telemetry arrives', async () => {
    h.fake.setDefault(answer());
    // The telemetry first: the rollout's token counts are the calls its events recorded.
    const first = await runCodex(h.fake.url, protocol);
    await exported();
    // Read once the receiver's writer has written them (it answered once they were in its spool).
    const telemetry = (await h.rows()).filter((r) => r.api === 'openai.responses');
    expect(telemetry.length).toBeGreaterThan(0);
    expect(await importRollouts(first)).toBe(0);
    expect((await h.rows()).filter((r) => r.api === 'openai.responses')).toEqual(telemetry);
    await h.mark();
    // The rollout first: the export is held back until the import is written.
    held = [];
    h.fake.setDefault(answer());
    const second = await runCodex(h.fake.url, protocol);
    const written = await importRollouts(second);
    expect(written).toBeGreaterThan(0);
    const exportsHeld = held;
    held = null;
    for (const e of exportsHeld) expect((await forward(e.url, e.type, e.body)).status).toBe(200);
    await exported();
    const rows = (await h.rows()).filter((r) => r.api === 'openai.responses');
    expect(rows.map((r) => r.source)).toEqual(rows.map(() => 'codex-log'));
    expect(rows).toHaveLength(written);
  });

  it('a call through the gateway counts once: the telemetry row matches the gateway row of its session by its counts', async () => {
    h.fake.setDefault(answer());
    await runCodex(h.url, protocol);
    const calls = h.fake.requests.filter((r) => r.path === '/v1/responses');
    expect(calls.length).toBeGreaterThan(0);
    await exported();
    const rows = (await h.rows()).filter((r) => r.api === 'openai.responses');
    expect(rows.map((r) => r.source)).toEqual(calls.map(() => 'gateway'));
  });

  // A spawned sub-agent's calls go under its parent's session-id, the gateway's row naming the agent's thread in
  // agent_id; its events and its rollout name that thread as their session (codex-subagents.int.test.ts).
  it('a sub-agent call through the gateway counts once, with its telemetry and its rollout imported', async () => {
    const subagent = (r: RecordedRequest) => (r.headers['x-codex-turn-metadata'] ?? '').includes('"subagent"');
    const parent = (r: RecordedRequest) => r.path === '/v1/responses' && !subagent(r);
    h.fake.script({ match: parent, events: spawnEvents });
    // The parent's answer held back a little: Codex exits with it, and the sub-agent has answered and written its rollout by then.
    h.fake.script({ match: parent, id: 'resp_parent_done', text: 'Done.', usage: { input: 300, cacheRead: 1024, output: 40, reasoning: 16 }, firstByteDelayMs: 1500 });
    h.fake.script({ match: (r) => r.path === '/v1/responses' && subagent(r), id: 'resp_agent_done', text: 'Done.', usage: { input: 700, cacheRead: 512, output: 90, reasoning: 24 } });
    h.fake.setDefault({ ...answer(), usage: { input: 50, output: 5 } });
    const home = await runCodex(h.url, protocol, false, { model: 'gpt-5.1-codex-max', prompt: 'check the readme with a sub-agent' });
    const calls = h.fake.requests.filter((r) => r.path === '/v1/responses');
    expect(calls.filter(subagent)).toHaveLength(1);
    expect(calls.length).toBeGreaterThanOrEqual(3);
    await exported(calls.length);
    const rows = (await h.rows()).filter((r) => r.api === 'openai.responses');
    expect(rows.map((r) => r.source)).toEqual(calls.map(() => 'gateway'));
    expect(rows.filter((r) => r.tags.agent_id !== undefined).map((r) => [r.inputTokens, r.outputTokens])).toEqual([[1212, 90]]);
    // The rollouts' token counts are the same calls: the sub-agent's matched by its response id, its parent's by session and counts.
    expect(await importRollouts(home)).toBe(0);
    expect((await h.rows()).filter((r) => r.api === 'openai.responses')).toEqual(rows);
    // Imported alone, each rollout row names its response (Codex's token_usage_record line).
    const alone = join(home, 'alone.db');
    expect(await importRollouts(home, alone)).toBe(calls.length);
    const store = openSqlite(alone);
    const imported: LedgerRow[] = [];
    for await (const r of store.ledger.scan({})) imported.push(r);
    await store.close();
    expect(imported.map((r) => r.responseId)).toEqual(expect.arrayContaining(['resp_agent_done', 'resp_parent_done', 'resp_spawn1']));
    expect(imported.map((r) => typeof r.responseId)).toEqual(calls.map(() => 'string'));
  });

  // On the socket too, Codex logs each completed response as a codex.sse_event with its counts.
  it('a call through the gateway on its WebSocket counts once too', async () => {
    h.fake.setDefault(answer());
    await runCodex(h.url, protocol, true);
    await exported();
    const rows = (await h.rows()).filter((r) => r.api === 'openai.responses');
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.map((r) => r.source)).toEqual(rows.map(() => 'gateway'));
  });
});

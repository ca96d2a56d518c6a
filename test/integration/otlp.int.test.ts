import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { usd } from '../../src/core/money.js';
import { createPricer } from '../../src/pricing/index.js';
import { otlpType } from '../../src/telemetry/otlp-proto.js';
import { parseGatewayAddress } from '../../src/telemetry/via-gateway.js';
import { type Harness, startHarness } from '../support/harness.js';
import { type OtelApp, type Protocol, otelApp } from '../support/otel-sdk.js';

const pricer = createPricer();
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ price: (q) => pricer(q), telemetry: { enabled: true, gatewayAddresses: [parseGatewayAddress('llm-gw.internal:443')] } });
});
afterAll(() => h.close());
beforeEach(() => h.mark());

const CLAUDE_RESOURCE = { 'service.name': 'claude-code', 'service.version': '2.1.197', 'team.id': 'payments', cost_center: 'cc-42' };

/** Claude Code's attributes on an api_request event, names exactly as it emits them. */
function apiRequest(over: Record<string, string | number>) {
  return {
    'event.name': 'api_request',
    'event.timestamp': '2026-11-30T10:00:05.000Z',
    'event.sequence': 7,
    'session.id': 'sess-cc-1',
    'user.id': 'install-abc',
    'user.email': 'dev@example.com',
    'user.account_uuid': 'acct-1',
    'organization.id': 'org-9',
    'prompt.id': 'prompt-1',
    'terminal.type': 'xterm',
    model: 'claude-sonnet-4-5',
    input_tokens: 100,
    output_tokens: 50,
    cache_read_tokens: 2000,
    cache_creation_tokens: 300,
    // Claude Code's own list-price estimate: 100×$3 + 2000×$0.30 + 300×$3.75 + 50×$15 per million.
    cost_usd: 0.002775,
    cost_usd_micros: 2775,
    duration_ms: 1500,
    request_id: 'req_011CcOtel1',
    speed: 'normal',
    query_source: 'main',
    ...over,
  };
}

describe.each<Protocol>(['http/json', 'http/protobuf'])('OTLP receiver fed by the OpenTelemetry SDK over %s', (protocol) => {
  let claude: OtelApp;
  let app: OtelApp;
  beforeAll(() => {
    claude = otelApp(h.url, protocol, { authorization: `Bearer ${h.key.key}` }, CLAUDE_RESOURCE, 'com.anthropic.claude_code.events');
    app = otelApp(`${h.url}/otlp`, protocol, { 'x-tollgate-key': 'admin-secret' }, { 'service.name': 'billing-bot', 'tollgate.project': 'invoices' }, 'opentelemetry.instrumentation.openai');
  });
  afterAll(async () => {
    await claude.close();
    await app.close();
  });

  it('turns each claude_code.api_request event into one priced, attributed ledger row', async () => {
    const rid = `req_${protocol}_1`;
    const at = new Date('2026-11-30T10:00:05.000Z');
    claude.emit('claude_code.api_request', apiRequest({ request_id: rid }), at);
    // Other events are accepted and ignored.
    claude.emit('claude_code.user_prompt', { 'event.name': 'user_prompt', 'session.id': 'sess-cc-1', prompt_length: 12 }, at);
    await claude.flushLogs();
    const rows = await h.rows();
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    expect(row).toMatchObject({
      ts: at.getTime() - 1500,
      api: 'anthropic.messages',
      provider: 'anthropic',
      model: 'claude-sonnet-4-5',
      modelRequested: 'claude-sonnet-4-5',
      // The virtual key's user, team and project win over the telemetry's.
      keyId: h.key.id,
      user: 'alice',
      team: 'platform',
      project: 'tollgate',
      sessionId: 'sess-cc-1',
      client: 'claude-code',
      tags: { prompt_id: 'prompt-1', organization: 'org-9', query_source: 'main', speed: 'normal', cost_center: 'cc-42' },
      inputTokens: 2400,
      cacheReadTokens: 2000,
      cacheWriteTokens: 300,
      cacheWrite1hTokens: 0,
      outputTokens: 50,
      latencyMs: 1500,
      outcome: 'ok',
      status: 200,
      usageSource: 'final',
      unpriced: false,
      upstreamRequestId: rid,
      source: 'claude-code-otel',
    });
    // Tollgate's own pricer agrees with Claude Code's cost_usd to the picodollar.
    expect(row.costPicos).toBe(usd('0.002775'));
  });

  it('is idempotent: the same event sent again adds no row', async () => {
    const attrs = apiRequest({ request_id: `req_${protocol}_dup` });
    const at = new Date('2026-11-30T11:00:00.000Z');
    await claude.log('claude_code.api_request', attrs, at);
    await claude.log('claude_code.api_request', attrs, at);
    const rows = await h.rows();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.upstreamRequestId).toBe(`req_${protocol}_dup`);
  });

  it('turns GenAI client spans into rows, current and older attribute names alike', async () => {
    const start = Date.parse('2026-11-30T12:00:00.000Z');
    await app.span('chat gpt-4o', {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.response.model': 'gpt-4o-2024-08-06',
      'gen_ai.response.id': 'chatcmpl-1',
      'gen_ai.conversation.id': 'conv-7',
      'gen_ai.usage.input_tokens': 1200,
      'gen_ai.usage.cache_read.input_tokens': 1024,
      'gen_ai.usage.output_tokens': 80,
      'user.email': 'bot-owner@example.com',
    }, start, start + 900);
    // OpenLLMetry's older names: gen_ai.system, prompt/completion tokens, Anthropic's uncached input.
    await app.span('anthropic.chat', {
      'llm.request.type': 'chat',
      'gen_ai.system': 'Anthropic',
      'gen_ai.request.model': 'claude-sonnet-4-5',
      'gen_ai.usage.prompt_tokens': 100,
      'gen_ai.usage.cache_read_input_tokens': 2000,
      'gen_ai.usage.cache_creation_input_tokens': 300,
      'gen_ai.usage.completion_tokens': 50,
    }, start + 1000, start + 2000);
    // An agent span summing its calls is not a call of its own.
    await app.span('invoke_agent planner', { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.input_tokens': 1200, 'gen_ai.usage.output_tokens': 80 }, start, start + 3000);
    const rows = (await h.rows()).sort((a, b) => a.ts - b.ts);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({
      ts: start,
      api: 'openai.chat',
      provider: 'openai',
      model: 'gpt-4o-2024-08-06',
      modelRequested: 'gpt-4o',
      keyId: null,
      user: 'bot-owner@example.com',
      project: 'invoices',
      sessionId: 'conv-7',
      client: 'billing-bot',
      tags: { operation: 'chat' },
      inputTokens: 1200,
      cacheReadTokens: 1024,
      outputTokens: 80,
      latencyMs: 900,
      outcome: 'ok',
      source: 'otel-genai',
      upstreamRequestId: null,
    });
    // gpt-4o-2024-08-06: 176 uncached × $2.50 + 1024 cached × $1.25 + 80 × $10 per million.
    expect(rows[0]!.costPicos).toBe(usd('0.00252'));
    expect(rows[1]).toMatchObject({ api: 'anthropic.messages', provider: 'anthropic', model: 'claude-sonnet-4-5', inputTokens: 2400, cacheReadTokens: 2000, cacheWriteTokens: 300, outputTokens: 50 });
    expect(rows[1]!.costPicos).toBe(usd('0.002775'));

  });

  it('keeps Claude Code usage counters as a cross-check series, not as ledger rows', async () => {
    const attrs = { 'session.id': `sess-metrics-${protocol}`, model: 'claude-sonnet-4-5', 'user.email': 'dev@example.com' };
    claude.count('claude_code.token.usage', 100, { ...attrs, type: 'input' }, 'tokens');
    claude.count('claude_code.token.usage', 2000, { ...attrs, type: 'cacheRead' }, 'tokens');
    claude.count('claude_code.token.usage', 300, { ...attrs, type: 'cacheCreation' }, 'tokens');
    claude.count('claude_code.token.usage', 50, { ...attrs, type: 'output' }, 'tokens');
    claude.count('claude_code.cost.usage', 0.002775, attrs, 'USD');
    claude.count('claude_code.session.count', 1, attrs);
    await claude.flushMetrics();
    expect(await h.rows()).toHaveLength(0);
    const totals = (await h.tollgate.storage.telemetry.sumPoints({})).find((t) => t.sessionId === attrs['session.id']);
    expect(totals).toEqual({
      sessionId: attrs['session.id'],
      model: 'claude-sonnet-4-5',
      points: 5,
      inputTokens: 100,
      outputTokens: 50,
      cacheReadTokens: 2000,
      cacheCreationTokens: 300,
      costPicos: usd('0.002775'),
    });

    // The cross-check shows what the ledger lacks: here every token, until the event arrives.
    const check = async () => {
      const res = await fetch(`${h.url}/admin/v1/telemetry/cross-check`, { headers: { authorization: 'Bearer admin-secret' } });
      const body = (await res.json()) as { data: { session: string; missing_tokens: number }[] };
      return body.data.find((r) => r.session === attrs['session.id'])!;
    };
    expect(await check()).toEqual({
      session: attrs['session.id'],
      model: 'claude-sonnet-4-5',
      counters: { input_tokens: 100, cache_read_tokens: 2000, cache_write_tokens: 300, output_tokens: 50, cost_usd: '0.002775' },
      ledger: { requests: 0, input_tokens: 0, cache_read_tokens: 0, cache_write_tokens: 0, output_tokens: 0, cost_usd: '0' },
      missing_tokens: 2450,
    });
    await claude.log('claude_code.api_request', apiRequest({ 'session.id': attrs['session.id'], request_id: `req_${protocol}_xc` }));
    expect(await check()).toMatchObject({ missing_tokens: 0, ledger: { requests: 1, input_tokens: 100, cache_read_tokens: 2000, cache_write_tokens: 300, output_tokens: 50, cost_usd: '0.002775' } });
  });
});

describe('an app that calls through the gateway and also exports GenAI spans', () => {
  let app: OtelApp;
  beforeAll(() => {
    app = otelApp(`${h.url}/otlp`, 'http/protobuf', { authorization: `Bearer ${h.key.key}` }, { 'service.name': 'support-bot' }, '@opentelemetry/instrumentation-openai');
  });
  afterAll(() => app.close());

  /** One chat call through the gateway, as the app's OpenAI client makes it. */
  async function callGateway(): Promise<{ id: string; tollgateId: string; upstreamId: string; usage: { prompt_tokens: number; completion_tokens: number }; model: string }> {
    const res = await fetch(`${h.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${h.key.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hello' }] }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { id: string; model: string; usage: { prompt_tokens: number; completion_tokens: number } };
    return { ...body, tollgateId: res.headers.get('x-tollgate-request-id')!, upstreamId: res.headers.get('x-request-id')! };
  }

  /** The span an OpenAI instrumentation records for that call (GenAI and HTTP client conventions). */
  function spanOf(call: Awaited<ReturnType<typeof callGateway>>, where: Record<string, string | number | boolean | string[]>) {
    const start = Date.now() - 500;
    return app.span('chat gpt-4o', {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.response.model': call.model,
      'gen_ai.response.id': call.id,
      'gen_ai.usage.input_tokens': call.usage.prompt_tokens,
      'gen_ai.usage.output_tokens': call.usage.completion_tokens,
      ...where,
    }, start, start + 400);
  }

  it('counts a call once: its span names this gateway, so only the gateway row is kept', async () => {
    const call = await callGateway();
    const port = new URL(h.url).port;
    await spanOf(call, { 'server.address': '127.0.0.1', 'server.port': Number(port) });
    await spanOf(call, { 'server.address': 'localhost', 'server.port': Number(port), 'url.full': `http://localhost:${port}/v1/chat/completions` });
    const rows = await h.rows();
    expect(rows.map((r) => [r.id, r.source])).toEqual([[call.tollgateId, 'gateway']]);
    expect(rows[0]).toMatchObject({ inputTokens: call.usage.prompt_tokens, outputTokens: call.usage.completion_tokens });
  });

  it('counts once through a gateway it knows from telemetry.gateway_addresses, or by the Tollgate request-id header', async () => {
    const call = await callGateway();
    await spanOf(call, { 'server.address': 'llm-gw.internal', 'server.port': 443 });
    // Behind a load balancer nobody listed: the response header the instrumentation captured says it.
    await spanOf(call, { 'server.address': 'lb-7.internal', 'server.port': 443, 'http.response.header.x-tollgate-request-id': [call.tollgateId] });
    // Only the provider's request id, which the gateway passed on: the ledger's cross-source rule.
    await spanOf(call, { 'server.address': 'lb-8.internal', 'server.port': 443, 'http.response.header.x-request-id': [call.upstreamId] });
    expect((await h.rows()).map((r) => [r.source, r.upstreamRequestId])).toEqual([['gateway', call.upstreamId]]);
  });

  it('counts once a span that names no known address, by the response id the gateway recorded, streamed or not', async () => {
    const call = await callGateway();
    const res = await fetch(`${h.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${h.key.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'hello' }] }),
    });
    const streamed = /"id":"([^"]+)"/.exec(await res.text())![1]!;
    const streamedId = res.headers.get('x-tollgate-request-id')!;
    expect(streamed).toMatch(/^chatcmpl-/);
    // Behind a load balancer nobody listed, and no response headers captured: only gen_ai.response.id says it.
    await spanOf(call, { 'server.address': 'lb-9.internal', 'server.port': 443 });
    await spanOf({ ...call, id: streamed }, { 'server.address': 'lb-9.internal', 'server.port': 443, 'gen_ai.request.stream': true });
    const rows = await h.rows();
    expect(rows.map((r) => [r.id, r.source, r.responseId]).sort()).toEqual([
      [call.tollgateId, 'gateway', call.id],
      [streamedId, 'gateway', streamed],
    ].sort());
  });

  it('still records the span of a call that went straight to the provider', async () => {
    const call = await callGateway();
    await spanOf({ ...call, id: 'chatcmpl-direct' }, { 'server.address': 'api.openai.com', 'server.port': 443 });
    // Same host as the gateway, another port: a local model server, not the gateway.
    await spanOf({ ...call, id: 'chatcmpl-local' }, { 'server.address': '127.0.0.1', 'server.port': 11434 });
    const rows = await h.rows();
    expect(rows.map((r) => r.source).sort()).toEqual(['gateway', 'otel-genai', 'otel-genai']);
    const total = rows.reduce((s, r) => s + r.inputTokens + r.outputTokens, 0);
    expect(total).toBe(3 * (call.usage.prompt_tokens + call.usage.completion_tokens));
  });
});

describe('OTLP receiver errors', () => {
  const post = (path: string, body: Buffer | string, headers: Record<string, string>) =>
    fetch(h.url + path, { method: 'POST', body, headers: { authorization: `Bearer ${h.key.key}`, ...headers } });

  it('accepts gzip bodies', async () => {
    const body = JSON.stringify({
      resourceLogs: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'claude-code' } }] }, scopeLogs: [{ logRecords: [{
        timeUnixNano: '1764496805000000000',
        body: { stringValue: 'claude_code.api_request' },
        attributes: Object.entries(apiRequest({ request_id: 'req_gzip' })).map(([key, v]) => ({ key, value: typeof v === 'number' ? (Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v }) : { stringValue: v } })),
      }] }] }],
    });
    const res = await post('/v1/logs', gzipSync(body), { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({});
    const rows = await h.rows();
    expect(rows.map((r) => r.upstreamRequestId)).toEqual(['req_gzip']);
  });

  it('a re-sent span batch (an exporter retry) adds no row', async () => {
    const req = otlpType('ExportTraceServiceRequest');
    const attributes = Object.entries({ 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o' }).map(([key, v]) => ({ key, value: { stringValue: v } }));
    attributes.push({ key: 'gen_ai.usage.input_tokens', value: { intValue: 10 } as never }, { key: 'gen_ai.usage.output_tokens', value: { intValue: 5 } as never });
    const span = { traceId: Buffer.alloc(16, 7), spanId: Buffer.alloc(8, 9), name: 'chat gpt-4o', startTimeUnixNano: '1764496805000000000', endTimeUnixNano: '1764496806000000000', attributes };
    const body = Buffer.from(req.encode(req.fromObject({ resourceSpans: [{ scopeSpans: [{ spans: [span] }] }] })).finish());
    for (let i = 0; i < 2; i++) expect((await post('/v1/traces', body, { 'content-type': 'application/x-protobuf' })).status).toBe(200);
    const rows = await h.rows();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ ts: 1764496805000, latencyMs: 1000, inputTokens: 10, outputTokens: 5, source: 'otel-genai' });
  });

  it('reports rejected records as a partial success', async () => {
    const body = { resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: 'claude_code.api_request' }, attributes: [{ key: 'input_tokens', value: { intValue: '5' } }] }] }] }] };
    const res = await post('/v1/logs', JSON.stringify(body), { 'content-type': 'application/json' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ partialSuccess: { rejectedLogRecords: '1', errorMessage: 'a claude_code.api_request event has no model attribute' } });
  });

  it('answers a partial success in protobuf to a protobuf request', async () => {
    const req = otlpType('ExportTraceServiceRequest');
    const span = { traceId: Buffer.alloc(16, 1), spanId: Buffer.alloc(8, 2), name: 'chat', attributes: [{ key: 'gen_ai.usage.input_tokens', value: { intValue: 3 } }] };
    const body = Buffer.from(req.encode(req.fromObject({ resourceSpans: [{ scopeSpans: [{ spans: [span] }] }] })).finish());
    const res = await post('/v1/traces', body, { 'content-type': 'application/x-protobuf' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-protobuf');
    const out = otlpType('ExportTraceServiceResponse').toObject(otlpType('ExportTraceServiceResponse').decode(Buffer.from(await res.arrayBuffer())), { longs: Number });
    expect(out).toEqual({ partialSuccess: { rejectedSpans: 1, errorMessage: 'span 0202020202020202 has token usage but no gen_ai.request.model or gen_ai.response.model' } });
  });

  it('400 with a clear message on a bad body', async () => {
    const json = await post('/v1/logs', '{"resourceLogs": 5}', { 'content-type': 'application/json' });
    expect(json.status).toBe(400);
    expect(await json.json()).toEqual({ code: 3, message: 'The body is not a valid ExportLogsServiceRequest: request.resourceLogs must be an array.' });
    const proto = await post('/v1/metrics', Buffer.from([0x0a, 0xff, 0xff]), { 'content-type': 'application/x-protobuf' });
    expect(proto.status).toBe(400);
    const status = otlpType('RpcStatus').decode(Buffer.from(await proto.arrayBuffer())) as unknown as { message: string };
    expect(status.message).toMatch(/^The body is not a valid protobuf ExportMetricsServiceRequest: /);
    const gz = await post('/v1/logs', 'not gzip', { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    expect(gz.status).toBe(400);
  });

  it('413 when a gzip body inflates past server.max_body_mb', async () => {
    const bomb = gzipSync(Buffer.alloc(33 * 1024 * 1024, 0x20));
    const res = await post('/v1/logs', bomb, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { message: string }).message).toBe("The request body decompresses to more than 32 MB, this gateway's limit (server.max_body_mb).");
  });

  it('415 on an unknown content type or encoding', async () => {
    const res = await post('/v1/traces', 'x', { 'content-type': 'text/plain' });
    expect(res.status).toBe(415);
    expect(await res.json()).toEqual({ code: 3, message: 'Content-Type text/plain is not OTLP: send application/json or application/x-protobuf.' });
    const compress = await post('/v1/traces', 'x', { 'content-type': 'application/json', 'content-encoding': 'compress' });
    expect(compress.status).toBe(415);
    expect(((await compress.json()) as { message: string }).message).toBe('Content-Encoding compress is not supported; send gzip, deflate, br, zstd or no encoding.');
  });

  it('401 without a key, with a bad key or with a provider key; 405 on GET', async () => {
    const none = await fetch(h.url + '/v1/logs', { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    expect(none.status).toBe(401);
    expect(((await none.json()) as { message: string }).message).toMatch(/OTEL_EXPORTER_OTLP_HEADERS/);
    expect((await post('/v1/logs', '{}', { 'content-type': 'application/json', authorization: 'Bearer tg_nope' })).status).toBe(401);
    expect((await post('/v1/logs', '{}', { 'content-type': 'application/json', authorization: 'Bearer sk-ant-xyz' })).status).toBe(401);
    const get = await fetch(h.url + '/otlp/v1/logs', { headers: { authorization: `Bearer ${h.key.key}` } });
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    // The provider routes under /v1 are untouched.
    expect((await fetch(h.url + '/v1/logz', { method: 'POST' })).status).toBe(404);
    expect(await h.rows()).toHaveLength(0);
  });
});

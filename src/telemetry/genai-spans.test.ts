import { describe, expect, it } from 'vitest';
import { genAiCall, isGenAiCall } from './genai-spans.js';
import type { Attrs, SpanItem } from './otlp-model.js';
import { toLedgerRow } from './telemetry-row.js';

const START = 1_764_496_800_000;

function span(attrs: Attrs, over: Partial<SpanItem> = {}): SpanItem {
  return { resource: { 'service.name': 'app' }, scope: 'instr', attrs, traceId: 'ab'.repeat(16), spanId: 'cd'.repeat(8), name: 'chat', kind: 3, startNanos: BigInt(START) * 1_000_000n, endNanos: BigInt(START + 750) * 1_000_000n, statusCode: 0, statusMessage: '', ...over };
}

describe('GenAI spans', () => {
  it('takes only model calls with token usage', () => {
    expect(isGenAiCall(span({ 'gen_ai.operation.name': 'chat', 'gen_ai.usage.input_tokens': 1 }))).toBe(true);
    expect(isGenAiCall(span({ 'llm.request.type': 'completion', 'llm.usage.prompt_tokens': 1 }))).toBe(true);
    expect(isGenAiCall(span({ 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.usage.input_tokens': 1 }))).toBe(false);
    expect(isGenAiCall(span({ 'gen_ai.operation.name': 'execute_tool', 'gen_ai.usage.output_tokens': 1 }))).toBe(false);
    expect(isGenAiCall(span({ 'gen_ai.operation.name': 'chat' }))).toBe(false);
    // Claude Code's own spans: their calls arrive as api_request events.
    expect(isGenAiCall(span({ 'gen_ai.usage.input_tokens': 1 }, { resource: { 'service.name': 'claude-code' } }))).toBe(false);
  });

  it('reads the current conventions: input includes cache reads and writes', () => {
    const c = genAiCall(span({
      'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'anthropic', 'gen_ai.request.model': 'claude-sonnet-4-5',
      'gen_ai.usage.input_tokens': 2400, 'gen_ai.usage.cache_read.input_tokens': 2000, 'gen_ai.usage.cache_creation.input_tokens': 300,
      'gen_ai.usage.output_tokens': 90, 'gen_ai.usage.reasoning.output_tokens': 40, 'gen_ai.conversation.id': 'conv', 'gen_ai.response.time_to_first_chunk': 0.25,
    }));
    expect(c).toMatchObject({
      ts: START, latencyMs: 750, ttftMs: 250, api: 'anthropic.messages', provider: 'anthropic', catalogProvider: 'anthropic', sessionId: 'conv', client: 'app', responseId: null,
      usage: { inputTokens: 2400, cacheReadTokens: 2000, cacheWriteTokens: 300, outputTokens: 90, reasoningTokens: 40 },
    });
  });

  it('tags the call with the version of the application that made it', () => {
    const c = genAiCall(span({ 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-5', 'gen_ai.usage.input_tokens': 10 }, { resource: { 'service.name': 'billing-bot', 'service.version': '3.2.0' } }));
    expect(c).toMatchObject({ client: 'billing-bot', tags: { client_version: '3.2.0' } });
  });

  it("keeps gen_ai.response.id, the body's id, apart from the provider's request id", () => {
    const c = genAiCall(span({ 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.input_tokens': 1, 'gen_ai.response.id': 'chatcmpl-9x', 'http.response.header.x-request-id': ['req_9'] }));
    expect(c).toMatchObject({ responseId: 'chatcmpl-9x', upstreamRequestId: 'req_9' });
  });

  it('prices an OpenAI flex call at its tier and records the tier on its row', () => {
    const c = genAiCall(span({ 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-5', 'gen_ai.usage.input_tokens': 1000, 'gen_ai.usage.output_tokens': 100, 'openai.response.service_tier': 'flex' }));
    const standard = genAiCall(span({ 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-5', 'gen_ai.usage.input_tokens': 1, 'openai.response.service_tier': 'default' }));
    if ('reject' in c || 'reject' in standard) throw new Error('rejected');
    const sender = { keyId: null, user: null, team: null, project: null, tags: {} };
    const asked: (string | undefined)[] = [];
    const row = toLedgerRow(c, sender, (q) => (asked.push(q.serviceTier), { costPicos: 1n, unpriced: false }));
    expect([asked, row.serviceTier]).toEqual([['flex'], 'flex']);
    expect('serviceTier' in toLedgerRow(standard, sender, () => ({ costPicos: 1n, unpriced: false }))).toBe(false);
  });

  it('adds the cache back when an instrumentation reported input without it', () => {
    const c = genAiCall(span({ 'gen_ai.system': 'anthropic', 'gen_ai.request.model': 'm', 'gen_ai.usage.prompt_tokens': 100, 'gen_ai.usage.cache_read_input_tokens': 2000, 'gen_ai.usage.completion_tokens': 5 }));
    expect(c).toMatchObject({ usage: { inputTokens: 2100, cacheReadTokens: 2000, outputTokens: 5 } });
  });

  it('reads OpenLLMetry llm.usage.* names', () => {
    const c = genAiCall(span({ 'gen_ai.system': 'openai', 'llm.request.model': 'gpt-4o', 'llm.response.model': 'gpt-4o-2024-08-06', 'llm.usage.prompt_tokens': 30, 'llm.usage.completion_tokens': 7, 'llm.is_streaming': true }));
    expect(c).toMatchObject({ model: 'gpt-4o-2024-08-06', modelRequested: 'gpt-4o', stream: true, usage: { inputTokens: 30, outputTokens: 7 } });
  });

  it('takes an OpenLLMetry embeddings span (llm.request.type embedding) as an embeddings call', () => {
    const s = span({ 'gen_ai.system': 'openai', 'llm.request.type': 'embedding', 'gen_ai.request.model': 'text-embedding-3-small', 'gen_ai.usage.prompt_tokens': 812 });
    expect(isGenAiCall(s)).toBe(true);
    expect(genAiCall(s)).toMatchObject({ api: 'openai.embeddings', model: 'text-embedding-3-small', usage: { inputTokens: 812, outputTokens: 0 }, tags: { operation: 'embedding' } });
  });

  it.each([
    ['gcp.vertex_ai', 'chat', 'gemini.generate', 'google'],
    ['gcp.gemini', 'generate_content', 'gemini.generate', 'google'],
    ['openai', 'embeddings', 'openai.embeddings', 'openai'],
    ['azure.ai.openai', 'chat', 'openai.chat', 'azure'],
    ['aws.bedrock', 'chat', 'anthropic.messages', 'aws'],
    ['mistral_ai', 'chat', 'openai.chat', 'mistral'],
    ['someone_new', 'chat', 'openai.chat', 'someone_new'],
  ])('provider %s, operation %s → api %s, catalog %s', (provider, op, api, catalog) => {
    const c = genAiCall(span({ 'gen_ai.provider.name': provider, 'gen_ai.operation.name': op, 'gen_ai.request.model': 'm', 'gen_ai.usage.input_tokens': 1 }));
    expect(c).toMatchObject({ api, catalogProvider: catalog, provider });
  });

  it('an errored span is an upstream error; request ids come from request-id attributes, not the response id', () => {
    const c = genAiCall(span({ 'gen_ai.request.model': 'm', 'gen_ai.usage.input_tokens': 1, 'error.type': 'rate_limit', 'http.response.status_code': 429, 'gen_ai.response.id': 'chatcmpl-1', 'http.response.header.x-request-id': ['req_9'] }, { statusCode: 2 }));
    expect(c).toMatchObject({ outcome: 'upstream_error', errorType: 'rate_limit', status: 429, upstreamRequestId: 'req_9' });
    const ok = genAiCall(span({ 'gen_ai.request.model': 'm', 'gen_ai.usage.input_tokens': 1, 'gen_ai.response.id': 'chatcmpl-1' }));
    expect(ok).toMatchObject({ outcome: 'ok', status: 200, errorType: null, upstreamRequestId: null });
  });

  it('ids come from the trace and span id; the SDK placeholder service name is no client', () => {
    const a = genAiCall(span({ 'gen_ai.request.model': 'm', 'gen_ai.usage.input_tokens': 1 }, { resource: { 'service.name': 'unknown_service:node' } }));
    const b = genAiCall(span({ 'gen_ai.request.model': 'm', 'gen_ai.usage.input_tokens': 1 }, { spanId: 'ef'.repeat(8) }));
    expect(a).toMatchObject({ client: null });
    expect('id' in a && 'id' in b && a.id !== b.id).toBe(true);
    expect(genAiCall(span({ 'gen_ai.usage.input_tokens': 1 }))).toEqual({ reject: `span ${'cd'.repeat(8)} has token usage but no gen_ai.request.model or gen_ai.response.model` });
  });
});

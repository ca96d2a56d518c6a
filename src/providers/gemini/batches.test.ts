import { describe, expect, it } from 'vitest';
import { runTap } from '../testing/tap-runner.js';
import type { RouteMatch, TapContext } from '../types.js';
import { geminiAdapter } from './adapter.js';
import { geminiBatchCaches, geminiBatchFile, geminiBatchRequests, readGeminiBatch, readResponsesLine, requestPath } from './batches.js';
import { lookupGeminiRoute } from './routes.js';

const usage = { promptTokenCount: 140, cachedContentTokenCount: 40, candidatesTokenCount: 30, thoughtsTokenCount: 20, totalTokenCount: 190 };
const response = { candidates: [{ content: { parts: [{ text: 'hi' }, { functionCall: { name: 'f', args: {} } }], role: 'model' }, finishReason: 'STOP' }], usageMetadata: usage, modelVersion: 'gemini-2.5-flash-001' };
const TOKENS = { inputTokens: 140, cacheReadTokens: 40, cacheWriteTokens: 0, cacheWrite1hTokens: 0, outputTokens: 50, reasoningTokens: 20, toolCalls: 1 };

/** A batch operation as `GET /v1beta/batches/{id}` answers it, ended with `output` (in `metadata.output` and `response` alike). */
function operation(state: string, output?: Record<string, unknown>): Record<string, unknown> {
  const metadata = { '@type': 'type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch', model: 'models/gemini-2.5-flash', state, name: 'batches/b1', ...(output ? { output } : {}) };
  return { name: 'batches/b1', metadata, ...(output ? { done: true, response: { '@type': 'type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatchOutput', ...output } } : {}) };
}

const inline = (...items: unknown[]) => ({ inlinedResponses: { inlinedResponses: items } });

describe('Gemini batch routes', () => {
  it('serves create (generation and embeddings), list, get, cancel and delete, the batch its resource', () => {
    const api = (method: string, path: string) => {
      const l = lookupGeminiRoute(method, path);
      return l.kind === 'match' ? [l.route.api, l.route.model ?? l.route.resourceId, l.route.noBody === true] : l.kind;
    };
    expect(api('POST', '/v1beta/models/gemini-2.5-flash:batchGenerateContent')).toEqual(['gemini.batches', 'gemini-2.5-flash', false]);
    expect(api('POST', '/v1beta/models/gemini-embedding-001:asyncBatchEmbedContent')).toEqual(['gemini.batches', 'gemini-embedding-001', false]);
    expect(api('GET', '/v1beta/batches')).toEqual(['gemini.batches', undefined, true]);
    expect(api('GET', '/v1beta/batches/b%201')).toEqual(['gemini.batches', 'batches/b 1', true]);
    expect(api('DELETE', '/v1beta/batches/b1')).toEqual(['gemini.batches', 'batches/b1', true]);
    expect(api('POST', '/v1beta/batches/b1:cancel')).toEqual(['gemini.batches', 'batches/b1', true]);
    expect(api('POST', '/v1beta/batches/b1')).toBe('wrong_method');
    expect(api('GET', '/v1beta/batches/b1:cancel')).toBe('wrong_method');
    for (const path of ['/v1beta/batches/b1:pause', '/v1beta/batches/a/b', '/v1beta/batches/..', '/v1beta/batches/%2e%2e:cancel']) expect(api('GET', path)).toBe('unknown');
  });

  it('a creation names the model of its path', () => {
    const found = lookupGeminiRoute('POST', '/v1beta/models/gemini-2.5-pro:batchGenerateContent');
    const route = found.kind === 'match' ? found.route : undefined;
    expect(geminiAdapter.inspectRequest(route!, { batch: { inputConfig: { fileName: 'files/x' } } })).toEqual({ model: 'gemini-2.5-pro', stream: false });
    expect(() => geminiAdapter.inspectRequest(route!, [])).toThrow();
  });
});

describe('a batch creation’s body', () => {
  const body = {
    batch: {
      displayName: 'nightly',
      inputConfig: { requests: { requests: [{ request: { contents: [{ parts: [{ text: 'a' }] }], cachedContent: 'cachedContents/c1' }, metadata: { key: 'a' } }, { request: { content: { parts: [{ text: 'b' }] } } }, { metadata: {} }, 'x'] } },
    },
  };

  it('gives its inline requests, the caches they name and its input file', () => {
    expect(geminiBatchRequests(body)).toEqual([{ contents: [{ parts: [{ text: 'a' }] }], cachedContent: 'cachedContents/c1' }, { content: { parts: [{ text: 'b' }] } }]);
    expect(geminiBatchCaches(body)).toEqual(['cachedContents/c1']);
    expect(geminiBatchFile(body)).toBeUndefined();
    expect(geminiBatchFile({ batch: { inputConfig: { fileName: 'files/in' } } })).toBe('files/in');
    // The SDK sends an embeddings batch's file as file_name.
    expect(geminiBatchFile({ batch: { inputConfig: { file_name: 'files/emb' } } })).toBe('files/emb');
    for (const bad of [undefined, [], { batch: [] }, { batch: { inputConfig: { requests: 'x' } } }]) expect(geminiBatchRequests(bad)).toEqual([]);
  });

  it('sends each request, for its estimate, where it would go alone', () => {
    expect(requestPath('gemini-2.5-flash', { contents: [] })).toBe('/v1beta/models/gemini-2.5-flash:generateContent');
    expect(requestPath('gemini-embedding-001', { content: {} })).toBe('/v1beta/models/gemini-embedding-001:embedContent');
    expect(requestPath('tunedModels/my tune', { contents: [] })).toBe('/v1beta/tunedModels/my%20tune:generateContent');
    for (const [model, request, api] of [['gemini-2.5-flash', { contents: [] }, 'gemini.generate'], ['tunedModels/t 1', { content: {} }, 'gemini.embed']] as const) {
      const found = lookupGeminiRoute('POST', requestPath(model, request));
      expect(found.kind === 'match' ? [found.route.api, found.route.model] : found).toEqual([api, model]);
    }
  });
});

describe('readGeminiBatch', () => {
  it('a batch still at work has no results', () => {
    for (const state of ['BATCH_STATE_PENDING', 'BATCH_STATE_RUNNING']) expect(readGeminiBatch(operation(state))).toMatchObject({ name: 'batches/b1', ended: false, model: 'gemini-2.5-flash', results: undefined, responsesFile: undefined });
  });

  it('an ended batch’s inline responses: each succeeded one read as generateContent’s, at the batch tier, named by its position; errors left out', () => {
    const b = readGeminiBatch(operation('BATCH_STATE_SUCCEEDED', inline({ response, metadata: { key: 'a' } }, { error: { code: 3, message: 'bad' }, metadata: { key: 'b' } }, { response: { candidates: [] } })));
    expect(b).toMatchObject({ ended: true, responsesFile: undefined });
    expect(b.results).toEqual([
      { customId: '0', model: 'gemini-2.5-flash-001', usage: TOKENS, serviceTier: 'batch' },
      // Succeeded, so billed, but without a count: unpriced, never free.
      { customId: '2', model: 'gemini-2.5-flash', usage: expect.objectContaining({ inputTokens: 0, outputTokens: 0 }) as unknown, serviceTier: 'batch', billedWithoutUsage: true },
    ]);
  });

  it('reads the output from metadata.output when the operation has no response, and embeddings by their tokenCount', () => {
    const op = operation('BATCH_STATE_SUCCEEDED', inline({ response: { embedding: { values: [0.1] }, tokenCount: '12' } }, { response: { embedding: { values: [0.2] }, tokenCount: 7 } }, { response: { embedding: { values: [] } } }));
    delete op.response;
    op.done = undefined;
    const b = readGeminiBatch(op);
    expect(b.ended).toBe(true);
    expect(b.results?.map((r) => [r.customId, r.model, r.usage.inputTokens, r.billedWithoutUsage === true])).toEqual([
      ['0', 'gemini-2.5-flash', 12, false],
      ['1', 'gemini-2.5-flash', 7, false],
      ['2', 'gemini-2.5-flash', 0, true],
    ]);
    expect(readGeminiBatch({ name: 'batches/b1', metadata: { state: 'BATCH_STATE_SUCCEEDED', output: { inlinedEmbedContentResponses: { inlinedResponses: [{ response: { embedding: {}, tokenCount: 'x' } }] } } } }).results).toHaveLength(1);
  });

  it('names the file the results were written to; a batch cancelled, failed or expired without output has none', () => {
    expect(readGeminiBatch(operation('BATCH_STATE_SUCCEEDED', { responsesFile: 'files/out' }))).toMatchObject({ ended: true, results: undefined, responsesFile: 'files/out' });
    for (const state of ['BATCH_STATE_CANCELLED', 'BATCH_STATE_FAILED', 'BATCH_STATE_EXPIRED']) expect(readGeminiBatch(operation(state))).toMatchObject({ ended: true, results: undefined, responsesFile: undefined });
    // A model the operation does not name: the creation's.
    expect(readGeminiBatch({ name: 'batches/b1', done: true }, 'gemini-2.5-pro').model).toBe('gemini-2.5-pro');
  });
});

describe('readResponsesLine', () => {
  it('reads a line of the responses file, wrapped with its key or bare, and leaves a failed one out', () => {
    expect(readResponsesLine(JSON.stringify({ key: 'k', response }), 4, 'gemini-2.5-flash')).toEqual({ customId: '4', model: 'gemini-2.5-flash-001', usage: TOKENS, serviceTier: 'batch' });
    expect(readResponsesLine(JSON.stringify(response), 5, 'gemini-2.5-flash')?.customId).toBe('5');
    for (const line of [JSON.stringify({ key: 'k', error: { code: 3, message: 'bad' } }), JSON.stringify({ code: 3, message: 'bad' }), '{}', 'not json', '[1]']) expect(readResponsesLine(line, 0, 'm')).toBeUndefined();
  });
});

describe('the Batch API tap', () => {
  const ctx: TapContext = { status: 200, contentType: 'application/json', stream: false, injectedStreamUsage: false, requestedModel: '' };
  const route = (method: RouteMatch['method'], resourceId?: string): RouteMatch => ({ api: 'gemini.batches', dialect: 'gemini', method, ...(resourceId ? { resourceId } : { model: 'gemini-2.5-flash' }) });
  const run = (r: RouteMatch, body: unknown, status = 200) => {
    const bytes = Buffer.from(JSON.stringify(body));
    const out = runTap(geminiAdapter.createTap(r, { ...ctx, status }), [bytes.subarray(0, 7), bytes.subarray(7)]);
    expect(out.bytes.equals(bytes)).toBe(true);
    return out.metered;
  };

  it('a creation’s answer gives the row the batch’s name, and bills nothing', () => {
    const m = run(route('POST'), operation('BATCH_STATE_PENDING'));
    expect(m).toMatchObject({ responseId: 'batches/b1', usageSource: 'none' });
    expect(m.batch).toBeUndefined();
    expect(run(route('POST'), { name: 'operations/x' }).responseId).toBeUndefined();
  });

  it('a batch looked up ended hands on its inline results; running, or another batch’s answer, hands on nothing', () => {
    const ended = run(route('GET', 'batches/b1'), operation('BATCH_STATE_SUCCEEDED', inline({ response }, { error: { code: 13 } })));
    expect(ended.batch).toEqual({ batchId: 'batches/b1', api: 'gemini.batch_request', results: [{ customId: '0', model: 'gemini-2.5-flash-001', usage: TOKENS, serviceTier: 'batch' }], complete: true });
    expect(ended.responseId).toBeUndefined();
    expect(run(route('GET', 'batches/b1'), operation('BATCH_STATE_RUNNING')).batch).toBeUndefined();
    expect(run(route('GET', 'batches/b2'), operation('BATCH_STATE_SUCCEEDED', inline({ response }))).batch).toBeUndefined();
    expect(run(route('GET', 'batches/b1'), operation('BATCH_STATE_SUCCEEDED', inline({ response })), 404).batch).toBeUndefined();
  });

  it('a batch whose results are in a file names it as made for the batch, and leaves the billing to the sweep', () => {
    const m = run(route('GET', 'batches/b1'), operation('BATCH_STATE_SUCCEEDED', { responsesFile: 'files/out' }));
    expect(m.batchFiles).toEqual(['files/out']);
    expect(m.batch).toBeUndefined();
  });

  it('a list, a cancel and a delete are read as free answers', () => {
    for (const [r, body] of [[route('GET'), { operations: [operation('BATCH_STATE_SUCCEEDED', inline({ response }))] }], [route('POST', 'batches/b1'), {}], [route('DELETE', 'batches/b1'), {}]] as const) {
      const m = run(r, body);
      expect([m.batch, m.responseId, m.batchFiles, m.usageSource]).toEqual([undefined, undefined, undefined, 'none']);
    }
  });
});

import { describe, expect, it } from 'vitest';
import { zeroUsage } from '../../core/usage.js';
import { MAX_BODY_COPY } from '../shared/taps.js';
import { everyNBytes, fixtures, runTap } from '../testing/tap-runner.js';
import type { RouteMatch, TapContext } from '../types.js';
import { geminiAdapter } from './adapter.js';

const fixture = fixtures(import.meta.url);
const generate = geminiAdapter.matchRoute('POST', '/v1beta/models/gemini-3.6-flash:generateContent')!;
const stream = geminiAdapter.matchRoute('POST', '/v1beta/models/gemini-3.7-pro:streamGenerateContent')!;
const sse: TapContext = { status: 200, contentType: 'text/event-stream', stream: true, injectedStreamUsage: false, requestedModel: 'gemini-3.7-pro' };
const jsonStream: TapContext = { ...sse, contentType: 'application/json; charset=UTF-8' };
const json = (status = 200): TapContext => ({ ...sse, status, contentType: 'application/json; charset=UTF-8', stream: false });
const tap = (bytes: Buffer, route: RouteMatch, ctx: TapContext, complete = true) => runTap(geminiAdapter.createTap(route, ctx), everyNBytes(bytes, 90), complete);

const streamed = {
  usage: { inputTokens: 4310, cacheReadTokens: 4096, cacheWriteTokens: 0, cacheWrite1hTokens: 0, outputTokens: 409, reasoningTokens: 378, toolCalls: 1 },
  usageSource: 'final',
  servedModel: 'gemini-3.7-pro',
  error: undefined,
  sawEnd: true,
  responseId: 'Xk1gabK9Ht',
};

describe('Gemini SSE stream tap', () => {
  it('forwards bytes unchanged and takes the last running total, not the sum', () => {
    const input = fixture('stream.sse');
    const run = tap(input, stream, sse);
    expect(run.emits).toEqual(everyNBytes(input, 90));
    expect(run.metered).toEqual(streamed);
  });

  it('reports the last total seen as partial when the stream stops before finishReason', () => {
    const input = fixture('stream.sse');
    const run = tap(input.subarray(0, input.indexOf('"finishReason"')), stream, sse, false);
    expect(run.metered).toMatchObject({
      usage: { inputTokens: 4310, outputTokens: 408, reasoningTokens: 378, toolCalls: 1 },
      usageSource: 'partial',
      sawEnd: false,
    });
  });

  it('records an error sent inside the stream', () => {
    expect(tap(fixture('stream-error.sse'), stream, sse, true).metered).toEqual({
      usage: { ...zeroUsage(), inputTokens: 4310, cacheReadTokens: 4096, outputTokens: 378, reasoningTokens: 378 },
      usageSource: 'partial',
      servedModel: 'gemini-3.7-pro',
      error: { type: 'UNAVAILABLE', message: 'The model is overloaded. Please try again later.' },
      sawEnd: false,
      responseId: 'Xk1gabK9Ht',
      // "Oslo is": settle leaves it aside for a stream the provider ended with its error.
      outputEstimate: 2,
    });
  });
});

describe('Gemini stream: the member names the reader looks for', () => {
  const event = (body: object) => `data: ${JSON.stringify(body)}\r\n\r\n`;
  const part = (text: string) => ({ candidates: [{ content: { parts: [{ text }], role: 'model' }, index: 0 }], modelVersion: 'gemini-3.7-pro' });

  it('passes over names quoted inside text, which arrive escaped', () => {
    const input = Buffer.from(event(part('a "finishReason", an "error", a "functionCall"')) + event({ ...part('more'), usageMetadata: { promptTokenCount: 9, candidatesTokenCount: 4 } }));
    expect(tap(input, stream, sse, false).metered).toMatchObject({ usage: { inputTokens: 9, outputTokens: 4, toolCalls: 0 }, usageSource: 'partial', error: undefined, sawEnd: false });
  });

  it('passes over a name that ends a text, where the string’s own closing quote follows it', () => {
    // A chunk of code, cut by the stream after `candidate["finishReason`: the text is `…[\"finishReason"`.
    const input = Buffer.from(event({ ...part('if candidate["finishReason'), usageMetadata: { promptTokenCount: 9, candidatesTokenCount: 4 } }) + event(part(']["usageMetadata')));
    expect(tap(input, stream, sse, false).metered).toMatchObject({ usage: { inputTokens: 9, outputTokens: 4 }, usageSource: 'partial', error: undefined, sawEnd: false });
  });

  it('takes usage and finish reasons from where the API puts them, not from a function call argument of that name', () => {
    const call = (args: object) => ({ candidates: [{ content: { parts: [{ functionCall: { name: 'log', args } }], role: 'model' }, index: 0 }] });
    const usage = { promptTokenCount: 1000, cachedContentTokenCount: 400, candidatesTokenCount: 200, thoughtsTokenCount: 300, toolUsePromptTokenCount: 50 };
    const done = { candidates: [{ content: { parts: [{ text: 'ok' }], role: 'model' }, finishReason: 'STOP', index: 0 }], usageMetadata: usage };
    // A trailing chunk whose only "usageMetadata" is an argument: the last usage stays the real one.
    const trailing = Buffer.from(event(done) + event(call({ usageMetadata: 'x' })));
    expect(tap(trailing, stream, sse).metered).toMatchObject({ usage: { inputTokens: 1050, cacheReadTokens: 400, outputTokens: 500, reasoningTokens: 300, toolCalls: 1 }, usageSource: 'final' });
    // A "finishReason" argument does not end a stream cut before its real end.
    const cut = Buffer.from(event({ ...part('a'), usageMetadata: usage }) + event({ ...call({ finishReason: 'STOP' }), usageMetadata: usage }));
    expect(tap(cut, stream, sse, false).metered).toMatchObject({ usageSource: 'partial', sawEnd: false });
  });

  it('counts the function calls of every event and keeps the last usage, wherever it comes', () => {
    const calls = { candidates: [{ content: { parts: [{ functionCall: { name: 'a', args: {} } }, { functionCall: { name: 'b', args: {} } }], role: 'model' }, index: 0 }] };
    const input = Buffer.from(
      event({ ...part('x'), usageMetadata: { promptTokenCount: 9, candidatesTokenCount: 1 } }) +
        event(calls) +
        event({ ...calls, usageMetadata: { promptTokenCount: 9, candidatesTokenCount: 7 } }) +
        event({ candidates: [{ content: { parts: [{ text: '' }], role: 'model' }, finishReason: 'STOP', index: 0 }] }),
    );
    expect(tap(input, stream, sse).metered).toMatchObject({ usage: { inputTokens: 9, outputTokens: 7, toolCalls: 4 }, usageSource: 'final', sawEnd: true });
  });
});

describe('Gemini JSON-array stream tap (no alt=sse)', () => {
  it('reads the same as the SSE stream, without holding bytes back', () => {
    const input = fixture('stream-array.json');
    const run = tap(input, stream, jsonStream);
    expect(run.emits).toEqual(everyNBytes(input, 90));
    expect(run.metered).toEqual(streamed);
  });

  it('reads a cut array as partial', () => {
    const input = fixture('stream-array.json');
    const run = tap(input.subarray(0, input.indexOf('"finishReason"')), stream, jsonStream, false);
    expect(run.metered).toMatchObject({ usage: { outputTokens: 408 }, usageSource: 'partial', sawEnd: false });
  });

  it('records an error wrapped in the array', () => {
    expect(tap(fixture('stream-array-error.json'), stream, jsonStream).metered).toEqual({
      usage: zeroUsage(),
      usageSource: 'none',
      servedModel: undefined,
      error: { type: 'RESOURCE_EXHAUSTED', message: 'You exceeded your current quota, please check your plan and billing details.', retryAfterMs: 37_000 },
      sawEnd: false,
    });
  });
});

describe('Gemini non-stream bodies', () => {
  it('reads generateContent: cached, tool-use prompt, thoughts and function calls', () => {
    expect(tap(fixture('generate.json'), generate, json()).metered).toEqual({
      usage: { inputTokens: 8320, cacheReadTokens: 6000, cacheWriteTokens: 0, cacheWrite1hTokens: 0, outputTokens: 480, reasoningTokens: 420, toolCalls: 2 },
      usageSource: 'final',
      servedModel: 'gemini-3.6-flash',
      error: undefined,
      sawEnd: true,
      serviceTier: 'ON_DEMAND',
      responseId: 'mP0gaf2kD-uNz7IPq4Kx8Q8',
    });
  });

  it('reads error bodies, plain or wrapped in an array', () => {
    const quota = { type: 'RESOURCE_EXHAUSTED', message: 'Resource has been exhausted (e.g. check quota).', retryAfterMs: 37_000 };
    expect(tap(fixture('error-quota.json'), generate, json(429)).metered).toEqual({
      usage: zeroUsage(),
      usageSource: 'none',
      servedModel: undefined,
      error: quota,
      sawEnd: true,
    });
    expect(tap(fixture('stream-array-error.json'), stream, json(429)).metered.error?.type).toBe('RESOURCE_EXHAUSTED');
  });
});

describe('Gemini bodies past the copy limit', () => {
  // A generated image comes back inline, base64: a few of them pass the 32 MB copy limit.
  const image = (bytes: number) =>
    Buffer.concat([
      Buffer.from('{\n  "candidates": [\n    {\n      "content": {\n        "parts": [\n          {\n            "inlineData": {\n              "mimeType": "image/png",\n              "data": "'),
      Buffer.alloc(bytes, 'iVBO'),
      Buffer.from('"\n            }\n          },\n          {"functionCall": {"name": "save", "args": {"usageMetadata": {"promptTokenCount": 1}, "modelVersion": "not-this"}}}\n        ],\n        "role": "model"\n      },\n      "finishReason": "STOP",\n      "index": 0\n    }\n  ],\n'),
    ]);
  const closing =
    '  "usageMetadata": {\n    "promptTokenCount": 20,\n    "candidatesTokenCount": 5160,\n    "totalTokenCount": 5400,\n    "thoughtsTokenCount": 220,\n    "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 20}],\n    "trafficType": "ON_DEMAND"\n  },\n  "modelVersion": "gemini-3.6-flash-image",\n  "responseId": "Zq2gaf8kD-uNz7IPq4Kx8Q8"\n}\n';

  it('reads usageMetadata, modelVersion and responseId from the tail of a generateContent answer', () => {
    const body = Buffer.concat([image(MAX_BODY_COPY), Buffer.from(closing)]);
    const run = runTap(geminiAdapter.createTap(generate, json()), everyNBytes(body, 64 * 1024));
    expect(run.bytes.equals(body)).toBe(true);
    expect(run.metered).toEqual({
      usage: { ...zeroUsage(), inputTokens: 20, outputTokens: 5380, reasoningTokens: 220 },
      usageSource: 'final',
      servedModel: 'gemini-3.6-flash-image',
      error: undefined,
      sawEnd: true,
      serviceTier: 'ON_DEMAND',
      responseId: 'Zq2gaf8kD-uNz7IPq4Kx8Q8',
    });
  });

  it('reads the usageMetadata closing a batch of embeddings', () => {
    const embed = geminiAdapter.matchRoute('POST', '/v1beta/models/gemini-embedding-001:batchEmbedContents')!;
    const values = Buffer.alloc(MAX_BODY_COPY, '0.0123, ');
    const body = Buffer.concat([Buffer.from('{\n  "embeddings": [\n    {\n      "values": [\n        '), values, Buffer.from('1\n      ]\n    }\n  ],\n  "usageMetadata": {"promptTokenCount": 70000, "totalTokenCount": 70000}\n}\n')]);
    const run = runTap(geminiAdapter.createTap(embed, json()), everyNBytes(body, 64 * 1024));
    expect(run.metered).toMatchObject({ usage: { ...zeroUsage(), inputTokens: 70000 }, usageSource: 'final', sawEnd: true });
  });

  it('passes over a usageMetadata nested in a function call when the body has none of its own', () => {
    const body = Buffer.concat([image(MAX_BODY_COPY), Buffer.from(closing.slice(closing.indexOf('"modelVersion"')))]);
    const run = runTap(geminiAdapter.createTap(generate, json()), everyNBytes(body, 64 * 1024));
    expect(run.metered).toMatchObject({ usage: zeroUsage(), usageSource: 'none', servedModel: 'gemini-3.6-flash-image', sawEnd: true });
  });

  it('reads nothing from a body cut short, whose closing members cannot be told from nested ones', () => {
    const body = Buffer.concat([image(MAX_BODY_COPY), Buffer.from(closing)]);
    const run = runTap(geminiAdapter.createTap(generate, json()), everyNBytes(body.subarray(0, body.length - 40), 64 * 1024), false);
    expect(run.metered).toEqual({ usage: zeroUsage(), usageSource: 'none', servedModel: undefined, error: undefined, sawEnd: false });
  });
});

describe('Gemini answers longer than their tail', () => {
  const head = '{\n  "candidates": [\n    {\n      "content": {\n        "parts": [\n          {"inlineData": {"mimeType": "image/png", "data": "';
  const parts = (call: string) => `"}}${call}\n        ],\n        "role": "model"\n      },\n      "finishReason": "STOP",\n      "index": 0\n    }\n  ],\n`;
  const closing = '  "usageMetadata": {"promptTokenCount": 20, "candidatesTokenCount": 5160, "totalTokenCount": 5400},\n  "modelVersion": "gemini-3.6-flash-image",\n  "responseId": "Zq2g"\n}\n';
  const answer = (data: Buffer, call = '') => Buffer.concat([Buffer.from(head), data, Buffer.from(parts(call)), Buffer.from(closing)]);
  const metered = (toolCalls: number) => ({ usage: { ...zeroUsage(), inputTokens: 20, outputTokens: 5160, toolCalls }, usageSource: 'final', servedModel: 'gemini-3.6-flash-image', error: undefined, sawEnd: true, responseId: 'Zq2g' });
  const read = (body: Buffer, chunk = 64 * 1024) => runTap(geminiAdapter.createTap(generate, json()), everyNBytes(body, chunk)).metered;

  it('reads an image answer from the members that close it', () => {
    expect(read(answer(Buffer.alloc(2 * 1024 * 1024, 'iVBO')))).toEqual(metered(0));
    // From the tail alone: what comes before it need not be JSON.
    expect(read(answer(Buffer.alloc(200 * 1024, '"')))).toEqual(metered(0));
  });

  it('reads one with a function call whole, to count it, wherever the chunks cut its name', () => {
    const body = answer(Buffer.alloc(200 * 1024, 'iVBO'), ',\n          {"functionCall": {"name": "save", "args": {}}}');
    expect(read(body)).toEqual(metered(1));
    const at = body.indexOf('"functionCall"') + 5;
    expect(runTap(geminiAdapter.createTap(generate, json()), [body.subarray(0, at), body.subarray(at)]).metered).toEqual(metered(1));
    // In pieces smaller than the name, so that it spans several.
    const pieces = [body.subarray(0, at - 12), ...everyNBytes(body.subarray(at - 12, at + 20), 3), body.subarray(at + 20)];
    expect(runTap(geminiAdapter.createTap(generate, json()), pieces).metered).toEqual(metered(1));
  });
});

describe('Gemini blocked prompt', () => {
  it('takes a blockReason chunk as the end of the stream', () => {
    const input = Buffer.from(
      'data: {"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"},"usageMetadata": {"promptTokenCount": 12,"totalTokenCount": 12},"modelVersion": "gemini-3.7-pro"}\r\n\r\n',
    );
    expect(tap(input, stream, sse).metered).toMatchObject({ usage: { inputTokens: 12 }, usageSource: 'final', sawEnd: true });
  });
});

describe('Gemini Files API tap', () => {
  const upload = geminiAdapter.matchRoute('POST', '/upload/v1beta/files')!;
  const body = Buffer.from(JSON.stringify({ file: { name: 'files/abc-123', mimeType: 'application/pdf', sizeBytes: '9', uri: 'https://generativelanguage.googleapis.com/v1beta/files/abc-123', state: 'ACTIVE' } }));

  it('takes the name of the file an upload made as the row response_id, free; a file read or listed makes none', () => {
    const run = tap(body, upload, json());
    expect(run.emits).toEqual(everyNBytes(body, 90));
    expect(run.metered).toMatchObject({ usage: zeroUsage(), usageSource: 'none', responseId: 'files/abc-123', sawEnd: true });
    expect(tap(body, geminiAdapter.matchRoute('PUT', '/upload/v1beta/files')!, json()).metered.responseId).toBe('files/abc-123');
    // A start (no body) or a chunk: nothing made yet.
    expect(tap(Buffer.alloc(0), upload, json()).metered.responseId).toBeUndefined();
    expect(tap(body, geminiAdapter.matchRoute('GET', '/v1beta/files/abc-123')!, json()).metered.responseId).toBeUndefined();
    expect(tap(Buffer.from('{"error":{"code":404,"message":"gone","status":"NOT_FOUND"}}'), upload, json(404)).metered.error).toMatchObject({ message: 'gone' });
  });
});

import { describe, expect, it } from 'vitest';
import { everyNBytes, fixtures, runTap } from '../testing/tap-runner.js';
import type { TapContext } from '../types.js';
import { geminiAdapter } from './adapter.js';
import { inspectGeminiRequest } from './request.js';

const fixture = fixtures(import.meta.url);
const stream = geminiAdapter.matchRoute('POST', '/v1beta/models/gemini-3.6-flash:streamGenerateContent')!;
const generate = geminiAdapter.matchRoute('POST', '/v1beta/models/gemini-3.6-flash:generateContent')!;
const sse: TapContext = { status: 200, contentType: 'text/event-stream', stream: true, injectedStreamUsage: false, requestedModel: 'gemini-3.6-flash', choices: 2 };
const tap = (bytes: Buffer, ctx: TapContext, complete: boolean) => runTap(geminiAdapter.createTap(stream, ctx), everyNBytes(bytes, 70), complete);
/** The input up to the end of the nth event (1-based). */
const events = (input: Buffer, n: number) => {
  let at = 0;
  for (let i = 0; i < n; i++) at = input.indexOf('\r\n\r\n', at) + 4;
  return input.subarray(0, at);
};

describe('Gemini candidateCount above 1', () => {
  it('takes the last running total of a whole stream, which counts every candidate, and the calls of every candidate', () => {
    const run = tap(fixture('stream-candidates.sse'), sse, true);
    expect(run.metered).toMatchObject({ usage: { inputTokens: 120, outputTokens: 61, toolCalls: 2 }, usageSource: 'final', sawEnd: true });
    expect(run.metered.outputEstimate).toBeUndefined();
  });

  it('does not take a stream cut after the first candidate finished, before the others, as finished', () => {
    const run = tap(events(fixture('stream-candidates.sse'), 3), sse, false);
    expect(run.metered).toMatchObject({ usage: { inputTokens: 120, outputTokens: 0, toolCalls: 1 }, usageSource: 'partial', sawEnd: false });
    // "Oslo is cold", "Bergen is wet, ", " today.", {"city":"Bergen"}, "and windy: 9°C, \"gusts\" {strong}." (escaped, UTF-8): every candidate.
    const bytes = 12 + 15 + 7 + 17 + Buffer.byteLength('and windy: 9°C, \\"gusts\\" {strong}.');
    expect(run.metered.outputEstimate).toBe(Math.ceil(bytes / 4));
  });

  it('does not take a stream as finished when a candidate first shows after another finished, and it is cut before that one ends', () => {
    const chunk = (candidates: object[]) => `data: ${JSON.stringify({ candidates, usageMetadata: { promptTokenCount: 120, totalTokenCount: 120 }, modelVersion: 'gemini-3.6-flash' })}\r\n\r\n`;
    const text = (index: number, t: string, finishReason?: string) => ({ content: { parts: [{ text: t }], role: 'model' }, index, ...(finishReason ? { finishReason } : {}) });
    const cut = Buffer.from(chunk([text(0, 'Oslo is cold.', 'STOP')]) + chunk([text(1, 'Bergen is wet')]));
    expect(tap(cut, sse, false).metered).toMatchObject({ usageSource: 'partial', sawEnd: false });
    const whole = Buffer.concat([cut, Buffer.from(chunk([text(1, '.', 'STOP')]))]);
    expect(tap(whole, sse, true).metered).toMatchObject({ sawEnd: true });
  });

  it('meters a cut stream of several candidates the same whether or not the request said how many', () => {
    const cut = events(fixture('stream-candidates.sse'), 3);
    const { choices: _, ...unsaid } = sse;
    expect(tap(cut, unsaid, false).metered).toEqual(tap(cut, sse, false).metered);
  });

  it('bills a non-streamed answer of several candidates from its usage, with the calls of all of them', () => {
    const body = {
      candidates: [
        { content: { parts: [{ functionCall: { name: 'a', args: {} } }], role: 'model' }, finishReason: 'STOP', index: 0 },
        { content: { parts: [{ text: 'x' }, { functionCall: { name: 'b', args: {} } }], role: 'model' }, finishReason: 'STOP', index: 1 },
      ],
      usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 40, totalTokenCount: 50 },
      modelVersion: 'gemini-3.6-flash',
    };
    const run = runTap(geminiAdapter.createTap(generate, { ...sse, contentType: 'application/json', stream: false }), [Buffer.from(JSON.stringify(body))], true);
    expect(run.metered).toMatchObject({ usage: { inputTokens: 10, outputTokens: 40, toolCalls: 2 }, usageSource: 'final' });
  });

  it('asks the budget for every candidate, under either spelling', () => {
    expect(inspectGeminiRequest(generate, { contents: [], generationConfig: { candidateCount: 3, maxOutputTokens: 100 } })).toMatchObject({ choices: 3, maxOutputTokens: 100 });
    expect(inspectGeminiRequest(stream, { contents: [], generation_config: { candidate_count: 2 } })).toMatchObject({ choices: 2, stream: true });
  });
});

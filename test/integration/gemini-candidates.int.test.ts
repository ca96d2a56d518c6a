import { readFileSync } from 'node:fs';
import { GoogleGenAI, Type } from '@google/genai';
import { describe, expect, it } from 'vitest';
import { tokensOfChars } from '../../src/core/usage.js';
import { useHarness } from '../support/harness.js';

/** generationConfig.candidateCount above 1 through the real genai client: every candidate is metered. */
const h = useHarness();
const client = () => new GoogleGenAI({ apiKey: h.key.key, httpOptions: { baseUrl: h.url } });
const config = { candidateCount: 2 };
const tool = { functionDeclarations: [{ name: 'get_weather', parameters: { type: Type.OBJECT, properties: {} } }] };

describe('Gemini candidateCount above 1 through Tollgate', () => {
  it('generateContent: the usage counts both candidates, and the calls of both are counted', async () => {
    h.fake.script({ usage: { input: 100, output: 30 }, toolCalls: 1 });
    const r = await client().models.generateContent({ model: 'gemini-2.5-flash', contents: 'x', config: { ...config, tools: [tool] } });
    expect(r.candidates!.map((c) => c.index)).toEqual([0, 1]);
    const [row] = await h.rows();
    expect(row).toMatchObject({ api: 'gemini.generate', outcome: 'ok', usageSource: 'final', inputTokens: 100, outputTokens: 60, toolCalls: 2 });
  });

  it('streamGenerateContent: the last running total counts both candidates, the calls of both are counted', async () => {
    h.fake.script({ usage: { input: 100, output: 30 }, text: 'aaaa bbbb cccc dddd', chunks: 4, toolCalls: 1 });
    const seen = new Set<number>();
    for await (const chunk of await client().models.generateContentStream({ model: 'gemini-2.5-flash', contents: 'x', config: { ...config, tools: [tool] } })) {
      for (const c of chunk.candidates ?? []) seen.add(c.index ?? 0);
    }
    expect([...seen].sort()).toEqual([0, 1]);
    const [row] = await h.rows();
    expect(row).toMatchObject({ api: 'gemini.generate', outcome: 'ok', usageSource: 'final', inputTokens: 100, outputTokens: 60, toolCalls: 2 });
  });

  it('a stream cut after the first candidate finished, before the second, is truncated, its output estimated from both', async () => {
    // As Google streams them: the running totals before the last have no candidatesTokenCount.
    const events = readFileSync(new URL('../../src/providers/gemini/fixtures/stream-candidates.sse', import.meta.url), 'utf8').split(/(?<=\r\n\r\n)/);
    h.fake.script({ events, cutAfterEvents: 3 });
    await client()
      .models.generateContentStream({ model: 'gemini-2.5-flash', contents: 'x', config })
      .then(async (s) => {
        for await (const _ of s);
      })
      .catch(() => undefined);
    const [row] = await h.rows();
    // "Oslo is cold", "Bergen is wet, ", " today.", {"city":"Bergen"}, "and windy: 9°C, \"gusts\" {strong}.": both candidates.
    const streamed = 12 + 15 + 7 + 17 + Buffer.byteLength('and windy: 9°C, \\"gusts\\" {strong}.');
    expect(row).toMatchObject({ api: 'gemini.generate', outcome: 'truncated', usageSource: 'partial', inputTokens: 120, outputTokens: tokensOfChars(streamed), toolCalls: 1 });
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tokensOfChars } from '../../core/usage.js';
import { anthropicAdapter } from '../anthropic/adapter.js';
import { geminiAdapter } from '../gemini/adapter.js';
import { openaiAdapter } from '../openai/adapter.js';
import { runTap, splitAt, splitBetweenEvents } from '../testing/tap-runner.js';
import type { ResponseTap, TapContext } from '../types.js';

const ctx = (injectedStreamUsage = false): TapContext => ({ status: 200, contentType: 'text/event-stream', stream: true, injectedStreamUsage, requestedModel: 'm' });

/** A delta's text as the provider writes it: JSON-escaped, measured in UTF-8 bytes. */
const escapedBytes = (t: string) => Buffer.byteLength(JSON.stringify(t)) - 2;

interface Dialect {
  name: string;
  tap: () => ResponseTap;
  /** The stream's events, each with the bytes of delta text it carries. */
  events: (texts: string[]) => { raw: string; text: number }[];
}

const anthropic: Dialect = {
  name: 'Anthropic Messages',
  tap: () => anthropicAdapter.createTap({ api: 'anthropic.messages', dialect: 'anthropic', method: 'POST' }, ctx()),
  events: (texts) => [
    { raw: `event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","model":"claude-x","usage":{"input_tokens":10,"output_tokens":1}}}\n\n`, text: 0 },
    { raw: `event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":""}}\n\n`, text: 0 },
    ...texts.map((t, i) => {
      const kind = i % 3 === 0 ? 'thinking' : i % 3 === 1 ? 'text' : 'partial_json';
      const type = kind === 'partial_json' ? 'input_json_delta' : `${kind}_delta`;
      return { raw: `event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"${type}","${kind}":${JSON.stringify(t)}}}\n\n`, text: escapedBytes(t) };
    }),
    { raw: `event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"EqQBCkYIBxgCKkBsig"}}\n\n`, text: 0 },
    { raw: `event: ping\ndata: {"type": "ping"}\n\n`, text: 0 },
    { raw: `event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":999}}\n\n`, text: 0 },
    { raw: `event: message_stop\ndata: {"type":"message_stop"}\n\n`, text: 0 },
  ],
};

/** A chat chunk with this delta, as OpenAI writes it once usage is asked for. */
const chatChunk = (delta: string) => `data: {"id":"c1","object":"chat.completion.chunk","model":"gpt-x","choices":[{"index":0,"delta":${delta},"logprobs":null,"finish_reason":null}],"usage":null,"obfuscation":"abc"}\n\n`;

/** The shapes of a chat delta carrying `t`, and the bytes of delta text each holds. */
const chatDeltas: ((t: string) => { raw: string; text: number })[] = [
  (t) => ({ raw: chatChunk(`{"content":${JSON.stringify(t)}}`), text: escapedBytes(t) }),
  (t) => ({ raw: chatChunk(`{"tool_calls":[{"index":0,"function":{"arguments":${JSON.stringify(t)}}}]}`), text: escapedBytes(t) }),
  // Parallel calls whose arguments come in one chunk (Ollama, Gemini's OpenAI endpoint send whole calls).
  (t) => ({ raw: chatChunk(`{"tool_calls":[{"index":0,"function":{"arguments":${JSON.stringify(t)}}},{"index":1,"id":"call_2","type":"function","function":{"name":"f","arguments":${JSON.stringify(t)}}}]}`), text: 2 * escapedBytes(t) }),
  // OpenRouter: an empty content before the reasoning, whose details repeat it (not counted twice).
  (t) => ({ raw: chatChunk(`{"role":"assistant","content":"","reasoning":${JSON.stringify(t)},"reasoning_details":[{"type":"reasoning.text","text":${JSON.stringify(t)}}]}`), text: escapedBytes(t) }),
  (t) => ({ raw: chatChunk(`{"refusal":${JSON.stringify(t)}}`), text: escapedBytes(t) }),
  // vLLM: the reasoning's end and the answer's start in one delta.
  (t) => ({ raw: chatChunk(`{"reasoning_content":${JSON.stringify(t)},"content":${JSON.stringify(t)}}`), text: 2 * escapedBytes(t) }),
  (t) => ({ raw: chatChunk(`{"content":null,"reasoning_content":${JSON.stringify(t)}}`), text: escapedBytes(t) }),
];

const chatEvents = (texts: string[]) => [
  { raw: `data: {"id":"c1","object":"chat.completion.chunk","model":"gpt-x","choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"finish_reason":null}],"usage":null}\n\n`, text: 0 },
  ...texts.map((t, i) => chatDeltas[i % chatDeltas.length]!(t)),
  { raw: `data: {"id":"c1","object":"chat.completion.chunk","model":"gpt-x","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":null}\n\n`, text: 0 },
  { raw: `data: {"id":"c1","object":"chat.completion.chunk","model":"gpt-x","choices":[],"usage":{"prompt_tokens":10,"completion_tokens":999,"total_tokens":1009}}\n\n`, text: 0 },
  { raw: 'data: [DONE]\n\n', text: 0 },
];

const completionEvents = (texts: string[]) => [
  ...texts.map((t) => ({ raw: `data: {"id":"cmpl-1","object":"text_completion","created":1,"choices":[{"text":${JSON.stringify(t)},"index":0,"logprobs":null,"finish_reason":null}],"model":"gpt-x","usage":null}\n\n`, text: escapedBytes(t) })),
  { raw: `data: {"id":"cmpl-1","object":"text_completion","created":1,"choices":[{"text":"","index":0,"logprobs":null,"finish_reason":"length"}],"model":"gpt-x","usage":null}\n\n`, text: 0 },
  { raw: `data: {"id":"cmpl-1","object":"text_completion","created":1,"choices":[],"model":"gpt-x","usage":{"prompt_tokens":10,"completion_tokens":999,"total_tokens":1009}}\n\n`, text: 0 },
  { raw: 'data: [DONE]\n\n', text: 0 },
];

const completionsObserved: Dialect = {
  name: 'OpenAI legacy completions, usage asked by the client',
  tap: () => openaiAdapter.createTap({ api: 'openai.completions', dialect: 'openai', method: 'POST' }, ctx()),
  events: completionEvents,
};

const completionsRewritten: Dialect = {
  name: 'OpenAI legacy completions, usage injected by the gateway',
  tap: () => openaiAdapter.createTap({ api: 'openai.completions', dialect: 'openai', method: 'POST' }, ctx(true)),
  events: completionEvents,
};

/** A Gemini chunk with these parts; before the last, its running usage has the prompt's count only (protocols.md §4.3). */
const geminiChunk = (parts: string, sep = '') => `data: {"candidates":[{"content":{"parts":${parts},"role":"model"},"index":0}],"usageMetadata":{"promptTokenCount":10,"totalTokenCount":10},"modelVersion":"gemini-x","responseId":"r1"}${sep}\n\n`;

const gemini: Dialect = {
  name: 'Gemini streamGenerateContent',
  tap: () => geminiAdapter.createTap(geminiAdapter.matchRoute('POST', '/v1beta/models/gemini-x:streamGenerateContent')!, ctx()),
  events: (texts) => [
    ...texts.map((t, i) => {
      const s = JSON.stringify(t);
      switch (i % 4) {
        case 0:
          return { raw: geminiChunk(`[{"text":${s}}]`), text: escapedBytes(t) };
        case 1:
          // A thought summary and the answer in one chunk, written as Google writes, with spaces.
          return { raw: geminiChunk(`[{"text": ${s}, "thought": true}, {"text": ${s}}]`), text: 2 * escapedBytes(t) };
        case 2:
          return { raw: geminiChunk(`[{"executableCode":{"language":"PYTHON","code":${s}}}]`), text: escapedBytes(t) };
        default:
          // A function call, whose arguments hold a member named text.
          return { raw: geminiChunk(`[{"functionCall":{"name":"f","args":{"text":${s}}}}]`), text: Buffer.byteLength(JSON.stringify({ text: t })) };
      }
    }),
    { raw: geminiChunk('[{"text":""}]'), text: 0 },
    { raw: `data: {"candidates":[{"content":{"parts":[{"text":""}],"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":10,"candidatesTokenCount":999,"totalTokenCount":1009},"modelVersion":"gemini-x","responseId":"r1"}\n\n`, text: 0 },
  ],
};

const chatObserved: Dialect = {
  name: 'OpenAI chat, usage asked by the client',
  tap: () => openaiAdapter.createTap({ api: 'openai.chat', dialect: 'openai', method: 'POST' }, ctx()),
  events: chatEvents,
};

const chatRewritten: Dialect = {
  name: 'OpenAI chat, usage injected by the gateway',
  tap: () => openaiAdapter.createTap({ api: 'openai.chat', dialect: 'openai', method: 'POST' }, ctx(true)),
  events: chatEvents,
};

const responses: Dialect = {
  name: 'OpenAI Responses',
  tap: () => openaiAdapter.createTap({ api: 'openai.responses', dialect: 'openai', method: 'POST' }, ctx()),
  events: (texts) => [
    { raw: `event: response.created\ndata: {"type":"response.created","response":{"id":"resp_1","model":"gpt-x","status":"in_progress"}}\n\n`, text: 0 },
    ...texts.map((t, i) => {
      const type = ['response.output_text.delta', 'response.reasoning_summary_text.delta', 'response.function_call_arguments.delta', 'response.refusal.delta'][i % 4]!;
      return { raw: `event: ${type}\ndata: {"type":"${type}","sequence_number":${i + 1},"item_id":"msg_1","output_index":0,"delta":${JSON.stringify(t)},"obfuscation":"pad"}\n\n`, text: escapedBytes(t) };
    }),
    { raw: `event: response.audio.delta\ndata: {"type":"response.audio.delta","delta":"UklGRiQAAABXQVZFZm10IBAAAAABAAEA"}\n\n`, text: 0 },
    { raw: `event: response.completed\ndata: {"type":"response.completed","response":{"id":"resp_1","model":"gpt-x","status":"completed","usage":{"input_tokens":10,"output_tokens":999,"total_tokens":1009}}}\n\n`, text: 0 },
  ],
};

const texts = fc.array(fc.oneof(fc.string({ unit: 'binary', maxLength: 30 }), fc.constantFrom('a "quoted" \\ word\n', '{"city":"Paris"}', 'été 東京 🙂', '":"', '\\"}}')), { minLength: 1, maxLength: 25 });

describe.each([anthropic, chatObserved, chatRewritten, completionsObserved, completionsRewritten, responses, gemini])('$name: a stream cut before its end', (d) => {
  it('estimates the output from the delta text that arrived, at four characters a token, however the bytes were chunked', () => {
    fc.assert(
      fc.property(texts, fc.nat(), fc.array(fc.nat(), { maxLength: 30 }), fc.array(fc.nat(), { maxLength: 12 }), (ts, cutAt, cuts, picks) => {
        const events = d.events(ts);
        const full = Buffer.from(events.map((e) => e.raw).join(''));
        // Cut before the usage events, as an abort mid-answer is.
        const usageStarts = Buffer.byteLength(events.slice(0, -2).map((e) => e.raw).join(''));
        const cut = full.subarray(0, cutAt % (usageStarts + 1));
        // Delta text in whole events before the cut, and in the one the cut splits.
        let whole = 0;
        let split = 0;
        let at = 0;
        for (const e of events) {
          const n = Buffer.byteLength(e.raw);
          if (at + n <= cut.length) whole += e.text;
          else if (at < cut.length) split = e.text;
          at += n;
        }
        const one = runTap(d.tap(), [cut], false).metered;
        const pieces = runTap(d.tap(), splitAt(cut, cuts), false).metered;
        const between = runTap(d.tap(), splitBetweenEvents(cut, picks), false).metered;
        expect(pieces.outputEstimate).toBe(one.outputEstimate);
        expect(between.outputEstimate).toBe(one.outputEstimate);
        const estimate = one.outputEstimate ?? 0;
        expect(estimate).toBeGreaterThanOrEqual(tokensOfChars(whole));
        expect(estimate).toBeLessThanOrEqual(tokensOfChars(whole + split));
      }),
      { numRuns: 300 },
    );
  });

  it('estimates nothing for a complete stream, whose usage is the provider own', () => {
    fc.assert(
      fc.property(texts, fc.array(fc.nat(), { maxLength: 30 }), (ts, cuts) => {
        const full = Buffer.from(d.events(ts).map((e) => e.raw).join(''));
        const m = runTap(d.tap(), splitAt(full, cuts)).metered;
        expect(m.outputEstimate).toBeUndefined();
        expect(m.usage.outputTokens).toBe(999);
        expect(m.usageSource).toBe('final');
      }),
      { numRuns: 100 },
    );
  });
});

/** The estimate of a stream cut after these events, in one chunk and event by event (each way through the tap). */
function cutEstimates(d: Dialect, raws: string[]): (number | undefined)[] {
  const whole = runTap(d.tap(), [Buffer.from(raws.join(''))], false).metered.outputEstimate;
  const apart = runTap(d.tap(), raws.map((r) => Buffer.from(r)), false).metered.outputEstimate;
  return [whole, apart];
}

describe.each([chatObserved, chatRewritten])('$name: every text of a delta is measured', (d) => {
  const first = chatEvents([])[0]!.raw;
  const t = 'x'.repeat(40);
  it.each([
    ['two tool calls whose arguments come in one chunk', 2],
    ['an empty content before the reasoning (OpenRouter)', 3],
    ['a refusal', 4],
    ['the reasoning and the content in one delta (vLLM)', 5],
  ])('%s', (_name, shape) => {
    const e = chatDeltas[shape]!(t);
    expect(cutEstimates(d, [first, e.raw, e.raw])).toEqual([tokensOfChars(2 * e.text), tokensOfChars(2 * e.text)]);
  });
});

describe.each([completionsObserved, completionsRewritten])('$name', (d) => {
  it('estimates a cut stream from each choice text', () => {
    const events = completionEvents(['x'.repeat(40), 'y'.repeat(40)]).slice(0, 2).map((e) => e.raw);
    expect(cutEstimates(d, events)).toEqual([tokensOfChars(80), tokensOfChars(80)]);
  });
});

describe('Gemini streamGenerateContent', () => {
  it('estimates a cut stream from its parts, whose running usage before the last chunk has no output count', () => {
    const events = gemini.events(['x'.repeat(40), 'y'.repeat(40)]).slice(0, 2).map((e) => e.raw);
    const m = runTap(gemini.tap(), events.map((r) => Buffer.from(r)), false).metered;
    expect(m).toMatchObject({ usageSource: 'partial', outputEstimate: tokensOfChars(120) });
    expect(m.usage).toMatchObject({ inputTokens: 10, outputTokens: 0 });
  });
});

describe('Anthropic Messages: a cut stream with web search', () => {
  it('counts the server tool input and the answer, not the cited text of a citations_delta, which is not output', () => {
    const ev = (data: object) => `event: ${(data as { type: string }).type}\ndata: ${JSON.stringify(data)}\n\n`;
    const query = '{"query": "weather in Paris"}';
    const answer = 'It is sunny in Paris today.';
    const events = [
      anthropic.events([])[0]!.raw,
      ev({ type: 'content_block_start', index: 0, content_block: { type: 'server_tool_use', id: 'srvtoolu_1', name: 'web_search', input: {} } }),
      ev({ type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: query } }),
      ev({ type: 'content_block_stop', index: 0 }),
      ev({ type: 'content_block_start', index: 1, content_block: { type: 'web_search_tool_result', tool_use_id: 'srvtoolu_1', content: [{ type: 'web_search_result', title: 'Weather', url: 'https://example.com', encrypted_content: 'EqgfCioIARgBIiQ3', page_age: null }] } }),
      ev({ type: 'content_block_stop', index: 1 }),
      ev({ type: 'content_block_start', index: 2, content_block: { type: 'text', text: '', citations: [] } }),
      ev({ type: 'content_block_delta', index: 2, delta: { type: 'citations_delta', citation: { type: 'web_search_result_location', cited_text: 'Sunny skies over Paris all day, with a high of 24 degrees and a light breeze.', url: 'https://example.com', title: 'Weather', encrypted_index: 'Eo8BCioIAhgB' } } }),
      ev({ type: 'content_block_delta', index: 2, delta: { type: 'text_delta', text: answer } }),
    ];
    const streamed = escapedBytes(query) + escapedBytes(answer);
    expect(cutEstimates(anthropic, events)).toEqual([tokensOfChars(streamed), tokensOfChars(streamed)]);
  });
});

import { describe, expect, it } from 'vitest';
import { zeroUsage } from '../../core/usage.js';
import { readAnthropicBody } from './body.js';
import { fallbackModel } from './iterations.js';
import { AnthropicStreamReader } from './stream.js';
import { anthropicUsage } from './usage.js';

// The shapes of SDK 1.12.0: BetaMessageIterationUsage (`model` nullable) and BetaFallbackMessageIterationUsage
// (`model` required), the serving hop's entry in place of a `message` one.
const hop = (type: string, model: string | null, input: number, output: number) => ({ type, model, input_tokens: input, output_tokens: output, cache_read_input_tokens: 0, cache_creation_input_tokens: 0, cache_creation: null });
const declined = hop('message', 'claude-fable-5', 2_000, 10);
const served = hop('fallback_message', 'claude-opus-4-8', 2_000, 400);

describe('a server-side fallback in usage.iterations', () => {
  it('names the model that served the response: its fallback_message round, not the requested one', () => {
    expect(fallbackModel({ iterations: [declined, served] })).toBe('claude-opus-4-8');
    expect(fallbackModel({ iterations: [hop('message', 'claude-fable-5', 1, 1)] })).toBeUndefined();
    expect(fallbackModel({ iterations: null })).toBeUndefined();
    expect(fallbackModel(undefined)).toBeUndefined();
  });

  it('keeps a declined hop apart under the model that declined, outside counts that are the serving hop alone', () => {
    // The shape the SDK fallback middleware builds: the top level is the serving hop's usage.
    const u = anthropicUsage({ input_tokens: 2_000, output_tokens: 400, iterations: [declined, served] });
    expect(u).toEqual({ ...zeroUsage(), inputTokens: 2_000, outputTokens: 400, rounds: [{ model: 'claude-fable-5', usage: { ...zeroUsage(), inputTokens: 2_000, outputTokens: 10 } }] });
  });

  it('marks a declined hop inside counts that add up every hop', () => {
    const u = anthropicUsage({ input_tokens: 4_000, output_tokens: 410, cache_read_input_tokens: 0, cache_creation_input_tokens: 0, iterations: [declined, served] });
    expect(u.rounds).toEqual([{ model: 'claude-fable-5', usage: { ...zeroUsage(), inputTokens: 2_000, outputTokens: 10 }, inCounts: true }]);
  });

  it('leaves the rounds of a response no fallback served, and the serving hop own tool-loop rounds, in the counts', () => {
    expect(anthropicUsage({ input_tokens: 10, output_tokens: 2, iterations: [hop('message', 'claude-opus-4-8', 10, 2)] }).rounds).toBeUndefined();
    const loop = [declined, hop('message', 'claude-opus-4-8', 1_000, 50), hop('fallback_message', 'claude-opus-4-8', 1_000, 350)];
    expect(anthropicUsage({ input_tokens: 2_000, output_tokens: 400, iterations: loop }).rounds).toEqual([{ model: 'claude-fable-5', usage: { ...zeroUsage(), inputTokens: 2_000, outputTokens: 10 } }]);
  });

  it('a Message and a stream are recorded under the model that served them', () => {
    const message = { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-fable-5', content: [], stop_reason: 'end_turn', usage: { input_tokens: 2_000, output_tokens: 400, iterations: [declined, served] } };
    expect(readAnthropicBody(JSON.stringify(message), true).servedModel).toBe('claude-opus-4-8');
    expect(readAnthropicBody(JSON.stringify({ ...message, usage: { input_tokens: 1, output_tokens: 1 } }), true).servedModel).toBe('claude-fable-5');
    const reader = new AnthropicStreamReader();
    reader.onEvent({ id: undefined, retry: undefined, event: 'message_start', data: JSON.stringify({ type: 'message_start', message: { ...message, usage: { input_tokens: 2_000, output_tokens: 1 } } }) });
    reader.onEvent({ id: undefined, retry: undefined, event: 'message_delta', data: JSON.stringify({ type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 400, iterations: [declined, served] } }) });
    reader.onEvent({ id: undefined, retry: undefined, event: 'message_stop', data: '{"type":"message_stop"}' });
    const m = reader.result();
    expect(m.servedModel).toBe('claude-opus-4-8');
    expect(m.usage.rounds).toEqual([{ model: 'claude-fable-5', usage: { ...zeroUsage(), inputTokens: 2_000, outputTokens: 10 } }]);
  });
});

import { describe, expect, it } from 'vitest';
import { SseParser } from '../../sse/parser.js';
import { InteractionStreamReader, interactionFiles, mayNameInteractionFiles, readInteraction } from './interactions.js';
import { interactionUsage } from './usage.js';
import { lookupGeminiRoute } from './routes.js';

describe('Gemini interactions', () => {
  it('counts tool-use prompts as input, cached tokens as cache reads and thinking as output', () => {
    const u = interactionUsage({ total_input_tokens: 1000, total_cached_tokens: 600, total_output_tokens: 50, total_thought_tokens: 25, total_tool_use_tokens: 7, total_tokens: 1082 });
    expect(u).toMatchObject({ inputTokens: 1007, cacheReadTokens: 600, outputTokens: 75, reasoningTokens: 25 });
    expect(u.audio).toBeUndefined();
    const audio = interactionUsage({ total_input_tokens: 10, input_tokens_by_modality: [{ modality: 'audio', tokens: 8 }, { modality: 'text', tokens: 2 }], output_tokens_by_modality: [{ modality: 'audio', tokens: 3 }] });
    expect(audio.audio).toEqual({ input: 8, cacheRead: 0, output: 3 });
  });

  it('reads a created interaction: its model, id and usage; an error body as the error', () => {
    const m = readInteraction(JSON.stringify({ id: 'v1_abc', model: 'gemini-3-flash', status: 'completed', usage: { total_input_tokens: 5, total_output_tokens: 2 } }), true);
    expect(m).toMatchObject({ servedModel: 'gemini-3-flash', responseId: 'v1_abc', usageSource: 'final', usage: { inputTokens: 5, outputTokens: 2 } });
    const err = readInteraction(JSON.stringify({ error: { code: 400, message: 'bad', status: 'INVALID_ARGUMENT' } }), true);
    expect(err.error).toBeDefined();
  });

  it('reads one run in the background, at work and without usage, as pending; a finished or failed one is not', () => {
    const read = (o: object) => readInteraction(JSON.stringify({ id: 'v1_bg', model: 'gemini-3-flash', ...o }), true);
    expect(read({ status: 'in_progress' })).toMatchObject({ pending: true, usageSource: 'none', responseId: 'v1_bg' });
    expect(read({ status: 'queued' }).pending).toBe(true);
    for (const status of ['completed', 'failed', 'cancelled', 'requires_action']) expect(read({ status }).pending).toBeUndefined();
    expect(read({ status: 'in_progress', usage: { total_input_tokens: 5 } }).pending).toBeUndefined();
    expect(readInteraction(JSON.stringify({ id: 'v1_bg', status: 'in_progress' }), false).pending).toBeUndefined();
  });

  it('reads a stream whose events say their type only in the data, and names the interaction as soon as it is created', () => {
    const made: string[] = [];
    const reader = new InteractionStreamReader((id) => made.push(id));
    const parser = new SseParser();
    const data = (o: object) => `data: ${JSON.stringify(o)}\n\n`;
    const text = [
      data({ event_type: 'interaction.created', interaction: { id: 'v1_s', model: 'gemini-2.5-flash', status: 'in_progress' } }),
      data({ event_type: 'step.delta', index: 0, delta: { type: 'text', text: 'abcdefgh' } }),
    ].join('');
    parser.push(Buffer.from(text), (_raw, e) => e && reader.onEvent(e));
    expect(made).toEqual(['v1_s']);
    expect(reader.result()).toMatchObject({ sawEnd: false, usageSource: 'none', servedModel: 'gemini-2.5-flash', outputEstimate: 2 });
    parser.push(Buffer.from(data({ event_type: 'interaction.completed', interaction: { id: 'v1_s', status: 'completed', usage: { total_input_tokens: 9, total_output_tokens: 2, total_thought_tokens: 1 } } })), (_raw, e) => e && reader.onEvent(e));
    expect(reader.result()).toMatchObject({ sawEnd: true, usageSource: 'final', responseId: 'v1_s', usage: { inputTokens: 9, outputTokens: 3, reasoningTokens: 1 } });
  });

  it('reads an error event inside a 200 stream as the upstream error that ended it', () => {
    const reader = new InteractionStreamReader();
    const parser = new SseParser();
    parser.push(Buffer.from(`event: error\ndata: ${JSON.stringify({ event_type: 'error', error: { code: 'resource_exhausted', message: 'Quota exceeded.' } })}\n\n`), (_raw, e) => e && reader.onEvent(e));
    expect(reader.result().error).toMatchObject({ message: 'Quota exceeded.' });
  });

  it('finds the uploaded files a create names by uri anywhere in its input, not web addresses', () => {
    const input = [
      { type: 'document', uri: 'https://generativelanguage.googleapis.com/v1beta/files/abc', mime_type: 'application/pdf' },
      { role: 'user', content: [{ type: 'image', uri: 'files/def' }, { type: 'video', uri: 'https://www.youtube.com/watch?v=x' }] },
      { type: 'function_result', result: [{ type: 'audio', uri: 'HTTPS://GENERATIVELANGUAGE.GOOGLEAPIS.COM/v1/files/ghi:download' }] },
    ];
    expect(interactionFiles({ model: 'm', input }).sort()).toEqual(['files/abc', 'files/def', 'files/ghi']);
    expect(interactionFiles({ model: 'm', input: 'files/abc' })).toEqual([]);
    expect(mayNameInteractionFiles(Buffer.from('{"input":"hello"}'))).toBe(false);
    expect(mayNameInteractionFiles(Buffer.from('{"input":[{"\\u0075ri":"files/x"}]}'))).toBe(true);
  });

  it('routes the create, lookup, cancel and delete under both API versions', () => {
    const route = (method: string, path: string) => {
      const found = lookupGeminiRoute(method, path);
      return found.kind === 'match' ? [found.route.api, found.route.resourceId] : found.kind;
    };
    expect(route('POST', '/v1beta/interactions')).toEqual(['gemini.interactions', undefined]);
    expect(route('POST', '/v1/interactions')).toEqual(['gemini.interactions', undefined]);
    expect(route('GET', '/v1beta/interactions/v1_abc')).toEqual(['gemini.interactions_lookup', 'v1_abc']);
    expect(route('DELETE', '/v1/interactions/v1_abc')).toEqual(['gemini.interactions_lookup', 'v1_abc']);
    expect(route('POST', '/v1beta/interactions/v1_abc/cancel')).toEqual(['gemini.interactions_lookup', 'v1_abc']);
    expect(route('GET', '/v1beta/interactions/..')).toBe('unknown');
  });
});

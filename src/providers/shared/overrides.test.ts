import { describe, expect, it } from 'vitest';
import { lookupRoute } from '../registry.js';
import type { RouteMatch } from '../types.js';
import { applyOverrides } from './overrides.js';

function route(method: string, path: string): RouteMatch {
  const found = lookupRoute(method, path);
  if (found.kind !== 'match') throw new Error(`no route for ${path}`);
  return found.route;
}

describe('applyOverrides on Gemini paths', () => {
  it('puts a new model in the path, with or without its models/ prefix, and out of a tuned model’s collection', () => {
    const path = '/v1beta/tunedModels/my-tuned:generateContent';
    expect(applyOverrides(route('POST', path), {}, path, { model: 'gemini-2.5-flash' }).path).toBe('/v1beta/models/gemini-2.5-flash:generateContent');
    const plain = '/v1beta/models/gemini-2.5-pro:streamGenerateContent';
    expect(applyOverrides(route('POST', plain), {}, plain, { model: 'models/gemini-2.5-flash' }).path).toBe('/v1beta/models/gemini-2.5-flash:streamGenerateContent');
    expect(applyOverrides(route('POST', plain), {}, plain, { model: 'tunedModels/t1' }).path).toBe('/v1beta/tunedModels/t1:streamGenerateContent');
  });

  it('puts a new model and a lower cap in an interaction body, which names its model (its path names none)', () => {
    const path = '/v1beta/interactions';
    const out = applyOverrides(route('POST', path), { model: 'gemini-2.5-pro', input: 'x', generation_config: { temperature: 1, max_output_tokens: 9000 } }, path, { model: 'gemini-2.5-flash', maxOutputTokens: 500 });
    expect(out.path).toBe(path);
    expect(JSON.parse(out.body.toString())).toEqual({ model: 'gemini-2.5-flash', input: 'x', generation_config: { temperature: 1, max_output_tokens: 500 } });
    expect(JSON.parse(applyOverrides(route('POST', '/v1/interactions'), { model: 'm', input: 'x' }, '/v1/interactions', { maxOutputTokens: 50 }).body.toString())).toEqual({ model: 'm', input: 'x', generation_config: { max_output_tokens: 50 } });
  });

  it('puts a new model in the path of the stable API version (v1) too', () => {
    const path = '/v1/models/gemini-2.5-pro:generateContent';
    expect(applyOverrides(route('POST', path), {}, path, { model: 'gemini-2.5-flash' }).path).toBe('/v1/models/gemini-2.5-flash:generateContent');
    const stream = '/v1/models/gemini-2.5-pro:streamGenerateContent';
    expect(applyOverrides(route('POST', stream), {}, stream, { model: 'tunedModels/t1' }).path).toBe('/v1/tunedModels/t1:streamGenerateContent');
  });

  it('renames the model of each request of a batch of embeddings too', () => {
    const path = '/v1beta/models/gemini-embedding-001:batchEmbedContents';
    const body = { requests: [{ model: 'models/gemini-embedding-001', content: { parts: [{ text: 'a' }] } }] };
    const out = applyOverrides(route('POST', path), body, path, { model: 'gemini-embedding-002' });
    expect(out.path).toBe('/v1beta/models/gemini-embedding-002:batchEmbedContents');
    expect(JSON.parse(out.body.toString())).toEqual({ requests: [{ model: 'models/gemini-embedding-002', content: { parts: [{ text: 'a' }] } }] });
  });
});

describe('applyOverrides on a Gemini cache', () => {
  it('renames the model in the body, where a cache names it, as models/…', () => {
    const path = '/v1beta/cachedContents';
    const out = applyOverrides(route('POST', path), { model: 'models/gemini-2.5-pro', contents: [] }, path, { model: 'gemini-2.5-flash' });
    expect(out.path).toBe(path);
    expect(JSON.parse(out.body.toString())).toEqual({ model: 'models/gemini-2.5-flash', contents: [] });
  });
});

describe('applyOverrides on a Responses body sent to chat (Cursor)', () => {
  it('lowers max_output_tokens, the one field the Responses API it goes to knows', () => {
    const path = '/v1/chat/completions';
    const out = (body: Record<string, unknown>) => JSON.parse(applyOverrides(route('POST', path), body, path, { maxOutputTokens: 500 }).body.toString()) as Record<string, unknown>;
    expect(out({ model: 'gpt-5.6', input: [], max_output_tokens: 4000 })).toEqual({ model: 'gpt-5.6', input: [], max_output_tokens: 500 });
    expect(out({ model: 'gpt-5.6', input: 'hi' })).toEqual({ model: 'gpt-5.6', input: 'hi', max_output_tokens: 500 });
    // A chat body keeps its own field.
    expect(out({ model: 'gpt-5.6', messages: [] })).toEqual({ model: 'gpt-5.6', messages: [], max_completion_tokens: 500 });
  });
});

describe('applyOverrides on a compaction', () => {
  it('renames the model and adds no output cap, which /v1/responses/compact does not take', () => {
    const path = '/v1/responses/compact';
    const out = applyOverrides(route('POST', path), { model: 'gpt-5', input: 'hi' }, path, { model: 'gpt-5-mini', maxOutputTokens: 100 });
    expect(JSON.parse(out.body.toString())).toEqual({ model: 'gpt-5-mini', input: 'hi' });
  });
});

describe('applyOverrides on output caps', () => {
  const capped = (path: string, body: object, cap: number) => JSON.parse(applyOverrides(route('POST', path), body, path, { maxOutputTokens: cap }).body.toString()) as Record<string, unknown>;

  it('lowers a text completion’s max_tokens, and adds one when there is none', () => {
    expect(capped('/v1/completions', { model: 'm', prompt: 'x', max_tokens: 500 }, 64)).toMatchObject({ max_tokens: 64 });
    expect(capped('/v1/completions', { model: 'm', prompt: 'x', max_tokens: 10 }, 64)).toMatchObject({ max_tokens: 10 });
    expect(capped('/v1/completions', { model: 'm', prompt: 'x' }, 64)).toMatchObject({ max_tokens: 64 });
  });

  it('caps a conversation in its own field, and leaves requests that take no cap alone', () => {
    expect(capped('/v1/messages', { model: 'm', max_tokens: 4096, messages: [] }, 100)).toMatchObject({ max_tokens: 100 });
    expect(capped('/v1/embeddings', { model: 'm', input: 'x' }, 100)).toEqual({ model: 'm', input: 'x' });
    expect(capped('/v1/moderations', { input: 'x' }, 100)).toEqual({ input: 'x' });
  });

  it('lowers a Messages thinking budget below a cap it lowered, turns thinking off where no budget fits, and leaves a client’s own budget alone', () => {
    const ask = (thinking: object, max_tokens = 16_000) => ({ model: 'm', max_tokens, thinking, messages: [] });
    expect(capped('/v1/messages', ask({ type: 'enabled', budget_tokens: 8_000 }), 3_000)).toMatchObject({ max_tokens: 3_000, thinking: { type: 'enabled', budget_tokens: 2_999 } });
    expect(capped('/v1/messages', ask({ type: 'enabled', budget_tokens: 2_000 }), 3_000)).toMatchObject({ max_tokens: 3_000, thinking: { type: 'enabled', budget_tokens: 2_000 } });
    expect(capped('/v1/messages', ask({ type: 'enabled', budget_tokens: 8_000 }), 1_024)).toMatchObject({ max_tokens: 1_024, thinking: { type: 'disabled' } });
    expect(capped('/v1/messages', ask({ type: 'adaptive' }), 1_000)).toMatchObject({ max_tokens: 1_000, thinking: { type: 'adaptive' } });
    // Interleaved thinking lets a budget pass the client's own cap: a cap not lowered changes nothing.
    expect(capped('/v1/messages', ask({ type: 'enabled', budget_tokens: 20_000 }, 2_000), 3_000)).toMatchObject({ max_tokens: 2_000, thinking: { type: 'enabled', budget_tokens: 20_000 } });
  });

  it('lowers a Gemini cap where the body gives it, by either proto JSON name, and adds none beside it', () => {
    const path = '/v1beta/models/gemini-2.5-flash:generateContent';
    expect(capped(path, { contents: [], generation_config: { max_output_tokens: 5000, temperature: 0 } }, 100)).toEqual({ contents: [], generation_config: { max_output_tokens: 100, temperature: 0 } });
    expect(capped(path, { contents: [], generation_config: { maxOutputTokens: 50 } }, 100)).toEqual({ contents: [], generation_config: { maxOutputTokens: 50 } });
    expect(capped(path, { contents: [], generationConfig: { max_output_tokens: 5000 } }, 100)).toEqual({ contents: [], generationConfig: { max_output_tokens: 100 } });
    expect(capped(path, { contents: [], generation_config: { temperature: 0 } }, 100)).toEqual({ contents: [], generation_config: { temperature: 0, maxOutputTokens: 100 } });
    expect(capped(path, { contents: [], generationConfig: { maxOutputTokens: 5000 } }, 100)).toEqual({ contents: [], generationConfig: { maxOutputTokens: 100 } });
    expect(capped(path, { contents: [] }, 100)).toEqual({ contents: [], generationConfig: { maxOutputTokens: 100 } });
  });
});

describe('applyOverrides fits a body to its model only when the model changes', () => {
  const body = (path: string, json: unknown, o: { model?: string; maxOutputTokens?: number }) => JSON.parse(applyOverrides(route('POST', path), json, path, o).body.toString()) as Record<string, unknown>;

  it('keeps what a client sent for its own model when only the cap is lowered (a deployment of the model asked for)', () => {
    const claude = { model: 'claude-sonnet-4-6', max_tokens: 8_000, thinking: { type: 'adaptive' }, output_config: { effort: 'xhigh' }, messages: [] };
    expect(body('/v1/messages', claude, { model: 'claude-sonnet-4-6', maxOutputTokens: 4_000 })).toMatchObject({ max_tokens: 4_000, output_config: { effort: 'xhigh' } });
    const chat = { model: 'gpt-5-mini', messages: [], stop: ['END'], max_tokens: 900 };
    expect(body('/v1/chat/completions', chat, { model: 'gpt-5-mini', maxOutputTokens: 500 })).toEqual({ model: 'gpt-5-mini', messages: [], stop: ['END'], max_tokens: 500 });
  });

  it('still fits it to a model it is moved to', () => {
    const claude = { model: 'claude-opus-4-8', max_tokens: 8_000, output_config: { effort: 'xhigh' }, messages: [] };
    expect(body('/v1/messages', claude, { model: 'claude-sonnet-4-6', maxOutputTokens: 4_000 })).toMatchObject({ model: 'claude-sonnet-4-6', output_config: { effort: 'high' } });
    const chat = { model: 'gpt-4.1', messages: [], stop: ['END'] };
    expect(body('/v1/chat/completions', chat, { model: 'gpt-5-mini' })).toEqual({ model: 'gpt-5-mini', messages: [] });
  });
});

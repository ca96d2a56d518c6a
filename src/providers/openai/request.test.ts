import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../core/errors.js';
import type { RouteMatch } from '../types.js';
import { inspectOpenaiForm, inspectOpenaiRequest } from './request.js';
import { lookupOpenaiRoute } from './routes.js';
import { rewriteOpenaiRequest } from './rewrite.js';

const chat: RouteMatch = { api: 'openai.chat', dialect: 'openai', method: 'POST' };
const responses: RouteMatch = { api: 'openai.responses', dialect: 'openai', method: 'POST' };
const embeddings: RouteMatch = { api: 'openai.embeddings', dialect: 'openai', method: 'POST' };
const models: RouteMatch = { api: 'openai.models', dialect: 'openai', method: 'GET', noBody: true };
const completions: RouteMatch = { api: 'openai.completions', dialect: 'openai', method: 'POST' };

describe('inspectOpenaiRequest', () => {
  it('reads model, stream and the chat output cap (max_completion_tokens wins over max_tokens)', () => {
    expect(inspectOpenaiRequest(chat, { model: 'gpt-5.6-sol', stream: true, max_completion_tokens: 900, max_tokens: 100 })).toEqual({
      model: 'gpt-5.6-sol',
      stream: true,
      maxOutputTokens: 900,
    });
    expect(inspectOpenaiRequest(chat, { model: 'gpt-4o', max_tokens: 100, max_completion_tokens: null })).toEqual({
      model: 'gpt-4o',
      stream: false,
      maxOutputTokens: 100,
    });
  });

  it('reads no model from the requests of the object APIs that name none: a skill update', () => {
    expect(inspectOpenaiRequest({ api: 'openai.skills', dialect: 'openai', method: 'POST', resourceId: 'skill_1' }, { default_version: '2' })).toEqual({ model: '', stream: false });
  });

  it('reads how many choices are asked for: chat `n`, a text completion’s `n` or `best_of` (the larger), none for Responses', () => {
    expect(inspectOpenaiRequest(chat, { model: 'gpt-4o', max_tokens: 100, n: 8 })).toEqual({ model: 'gpt-4o', stream: false, maxOutputTokens: 100, choices: 8 });
    expect(inspectOpenaiRequest(completions, { model: 'gpt-3.5-turbo-instruct', max_tokens: 50, n: 2, best_of: 5 })).toEqual({ model: 'gpt-3.5-turbo-instruct', stream: false, maxOutputTokens: 50, choices: 5 });
    expect(inspectOpenaiRequest(completions, { model: 'gpt-3.5-turbo-instruct', n: 3 }).choices).toBe(3);
    // One choice is the default: not said.
    for (const n of [1, null, undefined]) expect(inspectOpenaiRequest(chat, { model: 'gpt-4o', n })).toEqual({ model: 'gpt-4o', stream: false });
    // The Responses API has no n: one answer whatever the body says.
    expect(inspectOpenaiRequest(responses, { model: 'gpt-4o', n: 8 }).choices).toBeUndefined();
  });

  it('reads a count the provider would refuse at its most: a fraction rounded up, a numeric string, a count past 2^53 at 2^53 − 1', () => {
    const choices = (n: unknown) => inspectOpenaiRequest(chat, { model: 'gpt-4o', n }).choices ?? 1;
    expect(choices(2.5)).toBe(3);
    expect(choices('8')).toBe(8);
    expect(choices(' 4 ')).toBe(4);
    expect(choices(1e6)).toBe(1_000_000);
    expect(choices(Infinity)).toBe(Number.MAX_SAFE_INTEGER);
    expect(choices(1e300)).toBe(Number.MAX_SAFE_INTEGER);
    // No server reads a count from these: OpenAI refuses them; one answer at most otherwise.
    for (const n of [0, -3, NaN, true, false, 'eight', '', {}, [8]]) expect(choices(n)).toBe(1);
  });

  it('refuses a stream flag that is not true or false, which a lenient server would stream unmetered', () => {
    for (const stream of [1, 'true', 'yes', {}]) {
      expect(() => inspectOpenaiRequest(chat, { model: 'gpt-4o', stream })).toThrow(GatewayError);
      expect(() => inspectOpenaiRequest(responses, { model: 'gpt-4o', stream })).toThrow(`The openai.responses request body's "stream" must be true or false, not ${JSON.stringify(stream)}.`);
    }
    expect(inspectOpenaiRequest(chat, { model: 'gpt-4o', stream: null }).stream).toBe(false);
    expect(inspectOpenaiRequest(chat, { model: 'gpt-4o', stream: false }).stream).toBe(false);
  });

  it('reads the cap of a Responses body sent to chat (Cursor) from max_output_tokens, and never from a real chat body', () => {
    expect(inspectOpenaiRequest(chat, { model: 'gpt-5.6', input: [], max_output_tokens: 2000, stream: true, stream_options: { include_usage: true } })).toEqual({
      model: 'gpt-5.6',
      stream: true,
      maxOutputTokens: 2000,
      minOutputTokens: 16,
      streamOptions: { includeUsage: true },
    });
    expect(inspectOpenaiRequest(chat, { model: 'gpt-5.6', messages: [], max_output_tokens: 2000 }).maxOutputTokens).toBeUndefined();
  });

  it('reads max_output_tokens for Responses and no cap for embeddings', () => {
    expect(inspectOpenaiRequest(responses, { model: 'gpt-5.6-luna', input: 'hi', max_output_tokens: 64, stream: true })).toEqual({
      model: 'gpt-5.6-luna',
      stream: true,
      maxOutputTokens: 64,
      minOutputTokens: 16,
    });
    expect(inspectOpenaiRequest(embeddings, { model: 'text-embedding-3-small', input: ['a'], max_tokens: 5 })).toEqual({
      model: 'text-embedding-3-small',
      stream: false,
    });
  });

  it('reads a text completion’s model, stream and max_tokens', () => {
    expect(inspectOpenaiRequest(completions, { model: 'qwen2.5-coder', prompt: 'def f(', suffix: '):', stream: true, max_tokens: 48 })).toEqual({ model: 'qwen2.5-coder', stream: true, maxOutputTokens: 48 });
  });

  it('ignores a cap that is not a number, for the upstream to refuse', () => {
    expect(inspectOpenaiRequest(chat, { model: 'm', max_tokens: '12' })).toEqual({ model: 'm', stream: false });
  });

  it('reads an image request’s model (optional: OpenAI then picks DALL·E 2) and stream, from JSON or from a form', () => {
    const images: RouteMatch = { api: 'openai.images', dialect: 'openai', method: 'POST' };
    expect(inspectOpenaiRequest(images, { model: 'gpt-image-1', prompt: 'x', stream: true, partial_images: 2 })).toEqual({ model: 'gpt-image-1', stream: true });
    expect(inspectOpenaiRequest(images, { prompt: 'x' })).toEqual({ model: '', stream: false });
    expect(inspectOpenaiForm(images, new Map([['model', 'gpt-image-1-mini'], ['stream', 'true']]))).toEqual({ model: 'gpt-image-1-mini', stream: true });
    expect(inspectOpenaiForm(images, new Map([['prompt', 'x']]))).toEqual({ model: '', stream: false });
    for (const path of ['/v1/images/generations', '/v1/images/edits', '/v1/images/variations']) {
      const found = lookupOpenaiRoute('POST', path);
      expect(found.kind === 'match' && found.route).toMatchObject({ api: 'openai.images', ...(path.endsWith('generations') ? {} : { rawBody: true }) });
    }
  });

  it('needs no body for GET /v1/models', () => {
    expect(inspectOpenaiRequest(models, undefined)).toEqual({ model: '', stream: false });
  });

  it('needs a model to compact, and reads no output cap (a compaction takes none)', () => {
    const compact: RouteMatch = { api: 'openai.compact', dialect: 'openai', method: 'POST' };
    expect(inspectOpenaiRequest(compact, { model: 'gpt-5', input: 'hi', max_output_tokens: 9 })).toEqual({ model: 'gpt-5', stream: false });
    expect(() => inspectOpenaiRequest(compact, { input: 'hi' })).toThrow(/"model"/);
    // Its answer names no tier, so the one asked for is kept (auto and default bill as default).
    expect(inspectOpenaiRequest(compact, { model: 'gpt-5', service_tier: 'flex' })).toEqual({ model: 'gpt-5', stream: false, serviceTier: 'flex' });
    expect(inspectOpenaiRequest(compact, { model: 'gpt-5', service_tier: 'auto' })).toEqual({ model: 'gpt-5', stream: false });
  });

  it('counts input tokens with or without a model (the SDK sends {} by default)', () => {
    const count: RouteMatch = { api: 'openai.input_tokens', dialect: 'openai', method: 'POST' };
    expect(inspectOpenaiRequest(count, {})).toEqual({ model: '', stream: false });
    expect(inspectOpenaiRequest(count, { model: 'gpt-5', input: 'hi', max_output_tokens: 9 })).toEqual({ model: 'gpt-5', stream: false });
    expect(() => inspectOpenaiRequest(count, [])).toThrow(/JSON object/);
  });

  it('rejects a body that is not an object, and a missing model', () => {
    for (const body of [null, [], 'text', 3]) {
      expect(() => inspectOpenaiRequest(chat, body)).toThrow(GatewayError);
    }
    expect(() => inspectOpenaiRequest(chat, [])).toThrow(/JSON object, got an array/);
    const err = catchError(() => inspectOpenaiRequest(responses, { input: 'hi' }));
    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({ code: 'invalid_request', status: 400 });
    expect((err as Error).message).toMatch(/"model"/);
    expect(() => inspectOpenaiRequest(embeddings, { model: '  ' })).toThrow(/model/);
  });
});

describe('streamOptions in what is read of a request', () => {
  it('says whether a streamed chat or completion has stream_options, and whether it asks for usage', () => {
    const info = (body: object, route = chat) => inspectOpenaiRequest(route, body).streamOptions;
    expect(info({ model: 'm', stream: true })).toBeUndefined();
    expect(info({ model: 'm', stream: true, stream_options: { include_usage: true } })).toEqual({ includeUsage: true });
    expect(info({ model: 'm', stream: true, stream_options: { include_usage: false } })).toEqual({ includeUsage: false });
    expect(info({ model: 'm', stream: true, stream_options: null })).toEqual({ includeUsage: false });
    expect(info(JSON.parse('{"model":"m","stream":true,"stream\\u005foptions":{"include_usage":true}}') as object)).toEqual({ includeUsage: true });
    expect(info({ model: 'm', prompt: 'x', stream: true, stream_options: {} }, completions)).toEqual({ includeUsage: false });
    expect(info({ model: 'm', stream: false, stream_options: { include_usage: true } })).toBeUndefined();
    expect(info({ model: 'm', input: 'x', stream: true, stream_options: {} }, responses)).toBeUndefined();
  });
});

describe('rewriteOpenaiRequest', () => {
  const rewrite = (raw: string, route = chat) => {
    const body: unknown = JSON.parse(raw);
    return rewriteOpenaiRequest(route, inspectOpenaiRequest(route, body), Buffer.from(raw));
  };

  it('inserts stream_options right after the opening brace, every other byte unchanged', () => {
    const raw = '  {\n  "model": "gpt-5.6-sol",\n  "stream": true,\n  "messages": [{"role": "user", "content": "caf\u00e9 \\u00e9"}]\n}\n';
    const out = rewrite(raw);
    expect(out?.injectedStreamUsage).toBe(true);
    const at = raw.indexOf('{') + 1;
    const insertion = '"stream_options":{"include_usage":true},';
    const expected = Buffer.concat([Buffer.from(raw.slice(0, at)), Buffer.from(insertion), Buffer.from(raw.slice(at))]);
    expect(out?.body.equals(expected)).toBe(true);
    expect(JSON.parse(out!.body.toString())).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it('inserts when stream_options only appears inside a string, or not at all', () => {
    for (const raw of ['{"model":"m","stream":true,"messages":[{"role":"user","content":"what is \\"stream_options\\"?"}]}', '{"model":"m","stream":true}']) {
      expect(rewrite(raw)?.body.toString()).toBe('{"stream_options":{"include_usage":true},' + raw.slice(1));
    }
  });

  it('sets include_usage inside the stream_options the client sent, every other byte unchanged (a seed past 2^53, 1.0)', () => {
    const raw = '{"model":"gpt-4o","stream":true,"stream_options":{"include_obfuscation":false},"seed":9007199254740993,"temperature":1.0}';
    expect(rewrite(raw)?.body.toString()).toBe(raw.replace('{"include_obfuscation":false}', '{"include_usage":true,"include_obfuscation":false}'));
    const off = '{"model":"m","stream":true,"stream_options": {"include_usage" : false},"seed":9007199254740993}';
    expect(rewrite(off)?.body.toString()).toBe(off.replace('false}', 'true}'));
    expect(rewrite('{"model":"m","stream":true,"stream_options":{ },"top_p":1.0}')?.body.toString()).toBe('{"model":"m","stream":true,"stream_options":{"include_usage":true },"top_p":1.0}');
  });

  it('keeps the other options when stream_options exists without include_usage true (false, null)', () => {
    const out = rewrite('{"model":"m","stream_options":{"include_obfuscation":false,"include_usage":false},"stream":true}');
    expect(out?.injectedStreamUsage).toBe(true);
    expect(out?.body.toString()).toBe('{"model":"m","stream_options":{"include_obfuscation":false,"include_usage":true},"stream":true}');
    expect(rewrite('{"model":"m","stream":true,"stream_options":null}')?.body.toString()).toBe(
      '{"model":"m","stream":true,"stream_options":{"include_usage":true}}',
    );
  });

  it('finds a stream_options key spelled with a unicode escape', () => {
    const out = rewrite('{"model":"m","stream":true,"stream\\u005foptions":{}}');
    expect(JSON.parse(out!.body.toString())).toEqual({ model: 'm', stream: true, stream_options: { include_usage: true } });
  });

  it('asks for a streamed text completion’s usage too', () => {
    expect(rewrite('{"model":"m","prompt":"x","stream":true}', completions)?.body.toString()).toBe('{"stream_options":{"include_usage":true},"model":"m","prompt":"x","stream":true}');
    expect(rewrite('{"model":"m","prompt":"x"}', completions)).toBeUndefined();
  });

  it('leaves everything else alone', () => {
    expect(rewrite('{"model":"m","stream":true,"stream_options":{"include_usage":true}}')).toBeUndefined();
    expect(rewrite('{"model":"m","stream":false}')).toBeUndefined();
    expect(rewrite('{"model":"m"}')).toBeUndefined();
    expect(rewrite('{"model":"m","input":"x","stream":true}', responses)).toBeUndefined();
    expect(rewrite('{"model":"m","input":"x"}', embeddings)).toBeUndefined();
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

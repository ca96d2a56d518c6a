import Anthropic, { APIError as AnthropicError } from '@anthropic-ai/sdk';
import OpenAI, { APIError, AuthenticationError } from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, defaultProviders, startHarness } from '../support/harness.js';

const publicProvider = (url: string) => [
  ...defaultProviders(url).map((p) => (p.name === 'openai' ? { ...p, models: ['gpt-*'] } : p)),
  // The public endpoint with no key configured: a Tollgate key cannot be forwarded there.
  { name: 'public', dialect: 'openai' as const, baseUrl: 'https://api.openai.com', apiKey: undefined, models: ['public-*'], headers: {}, catalog: undefined, keyRequired: true },
];

describe('what a refusal tells the client to do', () => {
  let h: Harness;
  afterEach(() => h.close());
  const chat = () => new OpenAI({ apiKey: h.key.key, baseURL: `${h.url}/v1`, maxRetries: 0 }).chat.completions.create({ model: 'public-model', messages: [{ role: 'user', content: 'hi' }] });

  it('offers a provider key of the client own for a provider with no api_key only where auth.passthrough lets one through', async () => {
    h = await startHarness({ providers: publicProvider });
    const allowed = (await chat().then(() => undefined, (e: unknown) => e)) as AuthenticationError;
    expect(allowed).toBeInstanceOf(AuthenticationError);
    expect(allowed.error).toMatchObject({ code: 'provider_key_missing' });
    expect(allowed.message).toMatch(/set providers\[\]\.api_key for it in Tollgate's config, or send your own provider key\.$/);
    await h.close();

    h = await startHarness({ providers: publicProvider, auth: { passthrough: 'deny' } });
    const denied = (await chat().then(() => undefined, (e: unknown) => e)) as AuthenticationError;
    expect(denied).toBeInstanceOf(AuthenticationError);
    expect(denied.error).toMatchObject({ code: 'provider_key_missing' });
    expect(denied.message).not.toContain('send your own');
    expect(denied.message).toContain("(a client's own provider key is refused here: auth.passthrough is deny)");
    expect(h.fake.requests).toHaveLength(0);
  });

  it('refuses a request naming a file it cannot check while storage is down with a 503 that says so, never letting it through', async () => {
    h = await startHarness();
    const objects = h.tollgate.storage.objects;
    objects.owners = () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432'));
    const openai = new OpenAI({ apiKey: h.key.key, baseURL: `${h.url}/v1`, maxRetries: 0 });
    const err = (await openai.chat.completions
      .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: [{ type: 'text', text: 'summarise' }, { type: 'file', file: { file_id: 'file-unseen' } }] }] })
      .then(() => undefined, (e: unknown) => e)) as APIError;
    expect(err).toBeInstanceOf(APIError);
    expect(err.status).toBe(503);
    expect(err.headers?.get('retry-after')).toBe('5');
    expect(err.error).toMatchObject({ type: 'service_unavailable_error', code: 'storage_unavailable' });
    expect(err.message).toContain("Tollgate cannot tell whether this key may use the file 'file-unseen' (auth.stored_objects: team)");
    expect(err.message).toContain('did not answer (connect ECONNREFUSED 127.0.0.1:5432). Nothing was sent to the provider; retry shortly.');
    // Anthropic's error shape has no code: its message says it all.
    const anthropic = new Anthropic({ apiKey: h.key.key, baseURL: h.url, maxRetries: 0 });
    const claude = (await anthropic.beta.messages
      .create({ model: 'claude-sonnet-4-5', max_tokens: 8, betas: ['files-api-2025-04-14'], messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'file', file_id: 'file_unseen' } }] }] })
      .then(() => undefined, (e: unknown) => e)) as AnthropicError;
    expect(claude.status).toBe(503);
    expect(claude.error).toMatchObject({ type: 'error', error: { type: 'api_error', message: expect.stringContaining("may use the file 'file_unseen'") } });
    expect(h.fake.requests).toHaveLength(0);
    const rows = await h.rows();
    expect(rows).toHaveLength(2);
    for (const r of rows) expect(r).toMatchObject({ keyId: h.key.id, status: 503, outcome: 'gateway_error', errorType: 'storage_unavailable' });
  });
});

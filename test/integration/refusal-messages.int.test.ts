import OpenAI, { AuthenticationError } from 'openai';
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
});

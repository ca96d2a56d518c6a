import { GoogleGenAI } from '@google/genai';
import { afterEach, describe, expect, it } from 'vitest';
import { parseScope } from '../../src/policy/scope.js';
import { createPricer } from '../../src/pricing/index.js';
import { type Harness, startHarness } from '../support/harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const rewrite = {
  rules: {
    budgets: [],
    rateLimits: [],
    modelPolicies: [{ id: 'p', name: null, scope: parseScope('org'), allow: null, deny: [], rewrites: [{ from: 'gemini-2.5-pro', to: 'gemini-2.5-flash' }], allowKeep: true, source: 'config' as const, createdAt: 0 }],
  },
};

describe('a Gemini model a policy rewrites, on the stable API version (apiVersion v1)', () => {
  it('goes upstream as the model it is rewritten to, as on v1beta, and is billed as that model', async () => {
    h = await startHarness({ price: createPricer(), policy: rewrite });
    h.fake.setDefault({ usage: { input: 1_000, output: 100 }, chunks: 2 });
    for (const apiVersion of ['v1beta', 'v1']) {
      const ai = new GoogleGenAI({ apiKey: h.key.key, apiVersion, httpOptions: { baseUrl: h.url } });
      const once = await ai.models.generateContent({ model: 'gemini-2.5-pro', contents: 'hi' });
      const ids = [once.sdkHttpResponse!.headers!['x-tollgate-request-id']!];
      for await (const chunk of await ai.models.generateContentStream({ model: 'gemini-2.5-pro', contents: 'hi' })) ids[1] ??= chunk.sdkHttpResponse!.headers!['x-tollgate-request-id']!;
      // gemini-2.5-flash: 1,000 in at $0.30/M, 100 out at $2.50/M (gemini-2.5-pro's would be 2,250,000,000).
      for (const id of ids) expect(await h.row(id)).toMatchObject({ model: 'gemini-2.5-flash', modelRequested: 'gemini-2.5-pro', costPicos: 550_000_000n });
    }
    expect(h.fake.requests.map((r) => r.path)).toEqual([
      '/v1beta/models/gemini-2.5-flash:generateContent',
      '/v1beta/models/gemini-2.5-flash:streamGenerateContent',
      '/v1/models/gemini-2.5-flash:generateContent',
      '/v1/models/gemini-2.5-flash:streamGenerateContent',
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import { isHostedApi, translatedPastRoutes } from './serve.js';

describe('isHostedApi', () => {
  it('is true for the provider APIs the price catalog knows by URL, false for local and unknown servers', () => {
    for (const url of ['https://api.openai.com', 'https://api.anthropic.com', 'https://generativelanguage.googleapis.com', 'https://api.groq.com/openai', 'https://api.mistral.ai']) expect(isHostedApi(url), url).toBe(true);
    for (const url of ['http://127.0.0.1:8000', 'http://localhost:11434', 'http://10.0.0.5:8000', 'https://llm-proxy.internal.example']) expect(isHostedApi(url), url).toBe(false);
  });
});

describe('translatedPastRoutes', () => {
  it('names each route with a deployment on a translating provider, and the dialects that bypass it', () => {
    const routes = [
      { model: 'qwen*', deployments: [{ provider: 'local-qwen' }, { provider: 'local-qwen' }] },
      { model: 'gpt-*', deployments: [{ provider: 'openai' }] },
    ];
    const providers = [{ name: 'local-qwen', translateFrom: ['anthropic'] }, { name: 'openai' }];
    expect(translatedPastRoutes(routes, providers)).toEqual([
      'Routes: anthropic requests translated for provider "local-qwen" go to it directly, without route "qwen*"\'s retries, failover and fallbacks (docs/translation.md#routes).',
    ]);
    expect(translatedPastRoutes(routes, [{ name: 'local-qwen' }])).toEqual([]);
  });
});


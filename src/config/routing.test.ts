import { describe, expect, it } from 'vitest';
import { loadConfig } from './index.js';
import { configFile as file, configIssues as issues } from './testing.js';

/** The example in docs/routing.md, kept in step with it. */
export const ROUTING_EXAMPLE = `providers:
  - { name: anthropic, dialect: anthropic, base_url: https://api.anthropic.com, api_key: "\${ANTHROPIC_KEY_A}" }
  - { name: bedrock-proxy, dialect: anthropic, base_url: https://llm-proxy.internal, api_key: "\${PROXY_KEY}" }
  - { name: openai, dialect: openai, base_url: https://api.openai.com, api_key: "\${OPENAI_API_KEY}" }
routing:
  retry: { attempts: 3, per_deployment: 2, backoff_ms: 250, max_backoff_ms: 8000, max_wait_ms: 10000 }
  timeouts: { first_byte_ms: 30000, request_ms: 600000 }
  queue: { max_depth: 100, max_wait_ms: 5000 }
  affinity: { enabled: true, ttl_ms: 300000, miss_cost_factor: 10 }
  health: { cooldown_failures: 3, cooldown_ms: 30000, breaker_window: 20, breaker_failure_ratio: 0.5, breaker_open_ms: 30000 }
routes:
  - model: "claude-sonnet-4-5*"
    deployments:
      - { provider: anthropic, name: ant-main, weight: 3, rpm: 4000, tpm: 2000000 }
      - { provider: anthropic, name: ant-second, api_key: "\${ANTHROPIC_KEY_B}", weight: 1 }
      - { provider: bedrock-proxy, name: proxy, order: 1, model: claude-sonnet-4-5-20250929, timeouts: { first_byte_ms: 10000 } }
    fallbacks: [claude-haiku-4-5]
    retry: { on: [rate_limit, overloaded, server_error, connect, first_byte_timeout] }
  - model: "claude-haiku-4-5*"
    deployments: [{ provider: anthropic }]
  - model: "gpt-5*"
    deployments: [{ provider: openai }, { provider: openai, base_url: https://eu.api.openai.com, api_key: "\${OPENAI_EU_KEY}" }]
    queue: { max_wait_ms: 2000 }
`;

const ENV = { ANTHROPIC_KEY_A: 'ka', ANTHROPIC_KEY_B: 'kb', PROXY_KEY: 'kp', OPENAI_API_KEY: 'ko', OPENAI_EU_KEY: 'ke' };

describe('routes in the config', () => {
  it('loads the documented example, each setting falling back to routing: and then the defaults', () => {
    const c = loadConfig({ file: file(ROUTING_EXAMPLE), env: ENV });
    const [sonnet, haiku, gpt] = c.routing.routes;
    expect(sonnet!.deployments.map((d) => [d.id, d.provider, d.apiKey, d.weight, d.order, d.model, d.rpm, d.timeouts.firstByteMs, d.timeouts.requestMs])).toEqual([
      ['ant-main', 'anthropic', 'ka', 3, 0, undefined, 4000, 30000, 600000],
      ['ant-second', 'anthropic', 'kb', 1, 0, undefined, undefined, 30000, 600000],
      ['proxy', 'bedrock-proxy', 'kp', 1, 1, 'claude-sonnet-4-5-20250929', undefined, 10000, 600000],
    ]);
    expect(sonnet!.fallbacks).toEqual(['claude-haiku-4-5']);
    expect([...sonnet!.retry.on]).toEqual(['rate_limit', 'overloaded', 'server_error', 'connect', 'first_byte_timeout']);
    expect(sonnet!.retry).toMatchObject({ attempts: 3, perDeployment: 2, maxWaitMs: 10000 });
    expect(haiku!.deployments[0]!.id).toBe('anthropic');
    expect(gpt!.deployments.map((d) => [d.id, d.baseUrl, d.apiKey])).toEqual([
      ['openai', 'https://api.openai.com', 'ko'],
      ['openai-2', 'https://eu.api.openai.com', 'ke'],
    ]);
    expect(gpt!.queue).toEqual({ maxDepth: 100, maxWaitMs: 2000 });
    expect(c.routing.health).toMatchObject({ cooldownFailures: 3, breakerOpenMs: 30000, refreshMs: 500 });
  });

  it('has no routes by default: every request takes the plain single-provider path', () => {
    expect(loadConfig({}).routing.routes).toEqual([]);
  });

  it('names unknown providers, mixed dialects, duplicate names and fallbacks no route serves, with their lines', () => {
    const text = `providers:
  - { name: openai, dialect: openai, base_url: https://api.openai.com }
  - { name: anthropic, dialect: anthropic, base_url: https://api.anthropic.com }
routes:
  - model: gpt-5
    deployments:
      - { provider: opnai }
      - { provider: openai, name: x }
      - { provider: anthropic }
      - { provider: openai, name: x }
    fallbacks: [claude-haiku-4-5]
  - model: claude-haiku-4-5
    deployments: [{ provider: anthropic }]
`;
    expect(issues(text)).toEqual([
      'routes[0].deployments[0].provider@7: no provider is named "opnai" (providers: openai, anthropic)',
      'routes[0].deployments[2].provider@9: speaks anthropic, but this route\'s first deployment speaks openai; a route serves one dialect',
      'routes[0].deployments[3].name@10: deployment name "x" is already used by routes[0].deployments[1]; give it a name',
      'routes[0].fallbacks[0]@11: no other route of the openai dialect serves "claude-haiku-4-5"; add a route for it',
    ]);
  });

  it('refuses a fallback its own route would take, since a model goes to the first route whose glob matches it', () => {
    const text = `providers:
  - { name: openai, dialect: openai, base_url: https://api.openai.com }
routes:
  - model: "gpt-4o*"
    deployments: [{ provider: openai, name: main }]
    fallbacks: [gpt-4o-mini]
  - model: gpt-4o-mini
    deployments: [{ provider: openai, name: mini }]
`;
    expect(issues(text)).toEqual([
      'routes[0].fallbacks[0]@6: "gpt-4o-mini" is taken by this route\'s own model glob "gpt-4o*" (a model goes to the first route that matches it), so this fallback would never be used: put the route for "gpt-4o-mini" before this one, or narrow this route\'s glob',
    ]);
    // The other way round, the narrow route first, the fallback is reached.
    const narrowFirst = `providers:
  - { name: openai, dialect: openai, base_url: https://api.openai.com }
routes:
  - model: gpt-4o-mini
    deployments: [{ provider: openai, name: mini }]
  - model: "gpt-4o*"
    deployments: [{ provider: openai, name: main }]
    fallbacks: [gpt-4o-mini]
`;
    expect(loadConfig({ file: file(narrowFirst) }).routing.routes.map((r) => r.fallbacks)).toEqual([[], ['gpt-4o-mini']]);
  });

  it('explains bad values', () => {
    const text = `routes:
  - model: gpt-5
    deployments: [{ provider: openai, weight: 0 }]
    retry: { attempts: 0, on: [teapot] }
`;
    expect(issues(text)).toEqual([
      'routes[0].deployments[0].weight@3: must be above 0',
      'routes[0].retry.attempts@4: must be at least 1 (the first try)',
      'routes[0].retry.on[0]@4: must be one of rate_limit, server_error, overloaded, connect, first_byte_timeout, request_timeout, auth',
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import { loadConfig } from './index.js';
import { configFile } from './testing.js';
import { configuredUpstreams } from './upstreams.js';

describe('configuredUpstreams', () => {
  it('lists the providers, then each route deployment by its id with its own key and URL', () => {
    const config = loadConfig({
      file: configFile(
        'providers:\n  - { name: openai, dialect: openai, base_url: "https://api.openai.com", api_key: sk-main }\n' +
          'routes:\n  - model: "gpt-5*"\n    deployments:\n      - { provider: openai, name: primary }\n      - { provider: openai, name: eu, api_key: sk-eu, base_url: "https://eu.example.com" }\n',
      ),
    });
    expect(configuredUpstreams(config).map((u) => [u.kind, u.name, u.baseUrl, u.apiKey])).toEqual([
      ['provider', 'openai', 'https://api.openai.com', 'sk-main'],
      ['deployment', expect.stringContaining('primary'), 'https://api.openai.com', 'sk-main'],
      ['deployment', expect.stringContaining('eu'), 'https://eu.example.com', 'sk-eu'],
    ]);
  });
});

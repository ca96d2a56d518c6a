import { describe, expect, it } from 'vitest';
import { unpricedNotices } from './unpriced-notice.js';

describe('unpricedNotices', () => {
  const providers = [
    { name: 'openai', baseUrl: 'https://api.openai.com', catalog: 'openai' },
    { name: 'proxy', baseUrl: 'https://user:secret@llm-proxy.example', catalog: undefined },
    { name: 'local', baseUrl: 'http://127.0.0.1:8000', catalog: undefined },
  ];

  it('names the providers the catalog does not know and no override prices, the password hidden', () => {
    const lines = unpricedNotices(providers, []);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^Unpriced: the price catalog does not know provider "proxy" \(https:\/\/user:\*+@llm-proxy\.example\/?\); its requests are recorded without a cost until providers\[\]\.catalog/);
    expect(lines.join('\n')).not.toContain('secret');
    expect(unpricedNotices(providers, [{ model: 'qwen*', provider: 'local' }]).map((l) => /"(\w+)"/.exec(l)![1])).toEqual(['proxy']);
  });

  it('still names them when overrides without a provider exist, saying which models those price', () => {
    const lines = unpricedNotices(providers, [{ model: 'acme-*', provider: undefined }, { model: 'qwen*', provider: undefined }]);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain('provider "local"');
    expect(lines[1]).toContain('only its models that match a pricing override without a provider (acme-*, qwen*) get a cost');
  });
});

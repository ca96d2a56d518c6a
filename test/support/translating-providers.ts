import type { UpstreamProvider } from '../../src/gateway/select-provider.js';
import { defaultProviders } from './harness.js';

/** A local OpenAI-style server serving Anthropic clients, an Anthropic account serving OpenAI clients, then the native providers. */
export function translatingProviders(url: string): UpstreamProvider[] {
  return [
    { name: 'local-qwen', dialect: 'openai', baseUrl: url, apiKey: 'sk-local', models: ['qwen*'], headers: {}, catalog: undefined, translateFrom: ['anthropic'] },
    { name: 'claude-for-openai', dialect: 'anthropic', baseUrl: url, apiKey: 'sk-ant-translated', models: ['claude-*'], headers: {}, catalog: 'anthropic', translateFrom: ['openai'] },
    ...defaultProviders(url),
  ];
}

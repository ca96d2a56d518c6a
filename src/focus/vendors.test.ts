import { describe, expect, it } from 'vitest';
import { focusVendor, modelMaker } from './vendors.js';

describe('the maker of a model, from its name', () => {
  it('reads the name as each host spells it', () => {
    expect(modelMaker('claude-sonnet-4-5')?.name).toBe('Anthropic');
    expect(modelMaker('anthropic.claude-sonnet-4-5-20250929-v1:0')?.name).toBe('Anthropic');
    expect(modelMaker('us.anthropic.claude-sonnet-4-5-20250929-v1:0')?.name).toBe('Anthropic');
    expect(modelMaker('global.anthropic.claude-haiku-4-5-20251001-v1:0')?.name).toBe('Anthropic');
    expect(modelMaker('claude-sonnet-4-5@20250929')?.name).toBe('Anthropic');
    expect(modelMaker('publishers/anthropic/models/claude-sonnet-4-5')?.name).toBe('Anthropic');
    expect(modelMaker('anthropic/claude-sonnet-4.5')?.name).toBe('Anthropic');
    expect(modelMaker('gemini-2.5-pro')?.name).toBe('Google');
    expect(modelMaker('gpt-4.1')?.name).toBe('OpenAI');
    expect(modelMaker('o3')?.name).toBe('OpenAI');
    expect(modelMaker('openai.gpt-oss-120b-1:0')?.name).toBe('OpenAI');
    expect(modelMaker('meta.llama3-70b-instruct-v1:0')?.name).toBe('Meta');
    expect(modelMaker('meta-llama/Llama-3.3-70B-Instruct')?.name).toBe('Meta');
    expect(modelMaker('amazon.nova-pro-v1:0')).toEqual({ name: 'Amazon', product: 'Amazon Nova' });
    expect(modelMaker('mistral.mistral-large-2402-v1:0')?.name).toBe('Mistral AI');
    expect(modelMaker('grok-4')?.name).toBe('xAI');
  });

  it('knows no maker for a name that says nothing of one (an Azure deployment named by its owner)', () => {
    expect(modelMaker('prod-chat-deployment')).toBeUndefined();
    expect(modelMaker('=HYPERLINK("http://x")')).toBeUndefined();
    expect(modelMaker('')).toBeUndefined();
  });
});

describe('FOCUS names of a call', () => {
  it('sells and bills Claude on Bedrock as AWS, published by Anthropic', () => {
    expect(focusVendor('aws', 'aws.bedrock', 'anthropic.claude-sonnet-4-5-20250929-v1:0')).toEqual({ provider: 'AWS', publisher: 'Anthropic', service: 'Claude on Amazon Bedrock' });
    expect(focusVendor('aws', 'aws.bedrock', 'amazon.nova-pro-v1:0')).toEqual({ provider: 'AWS', publisher: 'Amazon', service: 'Amazon Nova on Amazon Bedrock' });
  });

  it('sells Claude on Vertex AI as Google, published by Anthropic, and Gemini there as Vertex AI', () => {
    expect(focusVendor('google', 'gcp.vertex_ai', 'claude-sonnet-4-5@20250929', true)).toEqual({ provider: 'Google', publisher: 'Anthropic', service: 'Claude on Vertex AI' });
    expect(focusVendor('google', 'gcp.vertex_ai', 'gemini-2.5-pro', true)).toEqual({ provider: 'Google', publisher: 'Google', service: 'Vertex AI' });
    // Google's catalog prices Claude as Vertex sells it: Claude at Google is Vertex AI, named so or not.
    expect(focusVendor('google', 'google', 'claude-sonnet-4-5')).toEqual({ provider: 'Google', publisher: 'Anthropic', service: 'Claude on Vertex AI' });
  });

  it('sells GPT on Azure as Azure OpenAI, published by OpenAI', () => {
    expect(focusVendor('azure', 'azure.ai.openai', 'gpt-4o')).toEqual({ provider: 'Microsoft', publisher: 'OpenAI', service: 'Azure OpenAI' });
    expect(focusVendor('azure', 'azure.ai.openai', 'prod-chat-deployment')).toEqual({ provider: 'Microsoft', publisher: 'Microsoft', service: 'Azure OpenAI' });
  });

  it('names first-party providers by themselves throughout', () => {
    expect(focusVendor('anthropic', 'anthropic', 'claude-sonnet-4-5')).toEqual({ provider: 'Anthropic', publisher: 'Anthropic', service: 'Claude API' });
    expect(focusVendor('openai', 'openai', 'gpt-5')).toEqual({ provider: 'OpenAI', publisher: 'OpenAI', service: 'OpenAI API' });
    expect(focusVendor('google', 'gcp.gemini', 'gemini-2.5-flash')).toEqual({ provider: 'Google', publisher: 'Google', service: 'Gemini API' });
    expect(focusVendor('mistral', 'mistral', 'mistral-large-latest')).toEqual({ provider: 'Mistral AI', publisher: 'Mistral AI', service: 'Mistral API' });
  });

  it('names a router by itself and the model by its maker', () => {
    expect(focusVendor('openrouter', 'openrouter', 'anthropic/claude-sonnet-4.5')).toEqual({ provider: 'OpenRouter', publisher: 'Anthropic', service: 'Claude on OpenRouter' });
  });

  it('names a host the catalog does not know by its provider name', () => {
    expect(focusVendor(undefined, 'local', 'my-model')).toEqual({ provider: 'local', publisher: 'local', service: 'local API' });
    expect(focusVendor(undefined, 'local', 'llama-3.1-8b')).toEqual({ provider: 'local', publisher: 'Meta', service: 'Llama on local API' });
  });
});

import { describe, expect, it } from 'vitest';
import type { Api } from '../../core/api.js';
import { fitToModel } from './model-change.js';
import { refusesStop } from './reasoning-refusals.js';

const moved = (api: Api, body: Record<string, unknown>, model: string) => {
  const b = { ...body };
  fitToModel(api, b, model);
  return b;
};

describe('a body moved to another OpenAI model', () => {
  it('asks a model that does not reason for no encrypted reasoning, and leaves the parsed include as it was', () => {
    const include = ['reasoning.encrypted_content', 'web_search_call.action.sources'];
    const codex = { type: 'response.create', model: 'gpt-5.6-sol', input: 'hi', store: false, stream: true, include, reasoning: { effort: 'high' } };
    expect(moved('openai.responses', codex, 'gpt-4.1-nano')).toEqual({ type: 'response.create', model: 'gpt-5.6-sol', input: 'hi', store: false, stream: true, include: ['web_search_call.action.sources'] });
    expect(include).toEqual(['reasoning.encrypted_content', 'web_search_call.action.sources']);
    expect(moved('openai.responses', { input: 'hi', include: ['reasoning.encrypted_content'] }, 'gpt-5-chat-latest')).toEqual({ input: 'hi' });
    expect(moved('openai.chat', { input: 'hi', include: ['reasoning.encrypted_content'] }, 'gpt-4o-mini')).toEqual({ input: 'hi' });
    expect(moved('openai.responses', { input: 'hi', include: ['reasoning.encrypted_content'], reasoning: { effort: 'low' } }, 'gpt-5-mini')).toEqual({ input: 'hi', include: ['reasoning.encrypted_content'], reasoning: { effort: 'low' } });
  });

  it('sends a reasoning model no penalties, logit bias or log probabilities on chat', () => {
    const sdk = { messages: [], presence_penalty: 0.5, frequency_penalty: 0, logit_bias: { '50256': -100 }, logprobs: true, top_logprobs: 3, seed: 7 };
    for (const model of ['gpt-5-mini', 'o4-mini', 'gpt-5-nano-2025-08-07']) expect(moved('openai.chat', sdk, model)).toEqual({ messages: [], seed: 7 });
    expect(moved('openai.chat', { ...sdk, reasoning_effort: 'low' }, 'gpt-5.4-mini')).toEqual({ messages: [], seed: 7, reasoning_effort: 'low' });
  });

  it('keeps them for a model that takes them: one that does not reason, or GPT-5.1 and later at effort none', () => {
    const sdk = { messages: [], presence_penalty: 0.5, logit_bias: { '50256': -100 }, logprobs: true, top_logprobs: 3 };
    expect(moved('openai.chat', sdk, 'gpt-4.1-mini')).toEqual(sdk);
    expect(moved('openai.chat', sdk, 'gpt-5.4-mini')).toEqual(sdk);
    expect(moved('openai.chat', { ...sdk, reasoning_effort: 'none' }, 'gpt-6-sol')).toEqual({ ...sdk, reasoning_effort: 'none' });
  });

  it('asks a reasoning model for no log probabilities on the Responses API', () => {
    const body = { input: 'hi', top_logprobs: 5, include: ['message.output_text.logprobs', 'reasoning.encrypted_content'] };
    expect(moved('openai.responses', body, 'gpt-5-mini')).toEqual({ input: 'hi', include: ['reasoning.encrypted_content'] });
    expect(moved('openai.responses', { input: 'hi', top_logprobs: 5, include: ['message.output_text.logprobs'] }, 'o3')).toEqual({ input: 'hi' });
    expect(moved('openai.responses', body, 'gpt-4.1-nano')).toEqual({ input: 'hi', top_logprobs: 5, include: ['message.output_text.logprobs'] });
  });

  it('sends stop sequences only to a model that takes them', () => {
    expect(['o3', 'o3-mini', 'o4-mini', 'gpt-5', 'gpt-5-mini', 'gpt-5.1', 'gpt-5.1-codex', 'gpt-5.2', 'openai/gpt-5-nano'].every(refusesStop)).toBe(true);
    expect(['o1', 'gpt-4.1', 'gpt-4o-mini', 'gpt-5-chat-latest', 'gpt-5.4-mini', 'gpt-5.6-sol', 'gpt-6-sol'].some(refusesStop)).toBe(false);
    expect(moved('openai.chat', { messages: [], stop: ['\n'] }, 'gpt-5.1')).toEqual({ messages: [] });
    expect(moved('openai.chat', { messages: [], stop: ['\n'] }, 'gpt-4.1-nano')).toEqual({ messages: [], stop: ['\n'] });
    expect(moved('openai.completions', { prompt: 'x', stop: ['\n'], presence_penalty: 1 }, 'gpt-5-mini')).toEqual({ prompt: 'x', stop: ['\n'], presence_penalty: 1 });
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Api } from '../../core/api.js';
import { hasImages, hasTools, reasoningEffort, systemHash, systemText } from './features.js';

const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'));

// Hashes computed outside Node: printf '%s' "$TEXT" | sha256sum | cut -c1-16
const REVIEWER = '2da5a083553f5b6a';
const CLAUDE_CODE = 'e3878347c30eb3ee';

describe('request features', () => {
  const cases: { api: Api; file: string; effort: string | undefined; hash: string }[] = [
    { api: 'openai.chat', file: 'openai-chat.json', effort: 'low', hash: REVIEWER },
    { api: 'openai.responses', file: 'openai-responses.json', effort: 'high', hash: REVIEWER },
    { api: 'anthropic.messages', file: 'anthropic-messages.json', effort: 'enabled', hash: CLAUDE_CODE },
    { api: 'gemini.generate', file: 'gemini-generate.json', effort: 'none', hash: REVIEWER },
  ];
  for (const c of cases) {
    it(`reads tools, images, reasoning and the system prompt of ${c.api}`, () => {
      const body = fixture(c.file);
      expect(hasTools(c.api, body)).toBe(true);
      expect(hasImages(c.api, body)).toBe(true);
      expect(reasoningEffort(c.api, body)).toBe(c.effort);
      expect(systemHash(systemText(c.api, body)!)).toBe(c.hash);
    });
  }

  it('finds nothing in a plain request', () => {
    const body = fixture('plain-chat.json');
    expect([hasTools('openai.chat', body), hasImages('openai.chat', body), reasoningEffort('openai.chat', body), systemText('openai.chat', body)]).toEqual([false, false, undefined, undefined]);
  });

  it('reads the system prompt as a plain string too, and joins parts with a blank line', () => {
    expect(systemText('anthropic.messages', { system: 'Be brief.' })).toBe('Be brief.');
    expect(systemText('openai.chat', { messages: [{ role: 'system', content: 'a' }, { role: 'user', content: 'x' }, { role: 'system', content: 'b' }] })).toBe('a\n\nb');
    expect(systemText('openai.responses', { instructions: 'Be brief.', input: 'hi' })).toBe('Be brief.');
    expect(systemText('gemini.generate', { system_instruction: { parts: [{ text: 'snake' }] } })).toBe('snake');
  });

  it('reads Anthropic effort before the thinking type, and disabled thinking as none', () => {
    expect(reasoningEffort('anthropic.messages', { thinking: { type: 'adaptive' }, output_config: { effort: 'medium' } })).toBe('medium');
    expect(reasoningEffort('anthropic.messages', { thinking: { type: 'disabled' } })).toBe('none');
    expect(reasoningEffort('anthropic.messages', {})).toBeUndefined();
    expect(reasoningEffort('gemini.generate', { generationConfig: { thinkingConfig: { thinkingLevel: 'HIGH' } } })).toBe('high');
    expect(reasoningEffort('gemini.generate', { generationConfig: { thinkingConfig: { thinkingBudget: -1 } } })).toBe('enabled');
  });

  it('counts empty tool lists and legacy functions rightly, and images only where the API puts them', () => {
    expect(hasTools('anthropic.messages', { tools: [] })).toBe(false);
    expect(hasTools('openai.chat', { functions: [{ name: 'f' }] })).toBe(true);
    expect(hasImages('anthropic.messages', { messages: [{ role: 'user', content: 'an image_url, in words' }] })).toBe(false);
    expect(hasImages('gemini.generate', { contents: [{ parts: [{ inlineData: { mimeType: 'application/pdf', data: '' } }] }] })).toBe(false);
    expect(hasImages('openai.responses', { input: [{ type: 'input_image', image_url: 'x' }] })).toBe(true);
  });

  it('reads a compaction and a token count as the Responses request they carry', () => {
    for (const api of ['openai.compact', 'openai.input_tokens'] as Api[]) {
      const body = { instructions: 'Be brief.', input: [{ role: 'user', content: [{ type: 'input_image', image_url: 'x' }] }] };
      expect([hasImages(api, body), systemText(api, body)]).toEqual([true, 'Be brief.']);
    }
  });

  it('never throws on bodies of the wrong shape', () => {
    for (const body of [null, 3, 'text', [], { messages: 'no', contents: [null, 1], system: 7, input: {} }]) {
      for (const api of ['openai.chat', 'openai.responses', 'anthropic.messages', 'gemini.generate'] as Api[]) {
        expect(() => [hasTools(api, body), hasImages(api, body), reasoningEffort(api, body), systemText(api, body)]).not.toThrow();
      }
    }
  });

  it('hashes UTF-8 text to 16 hex characters', () => {
    expect(systemHash('x')).toBe('2d711642b726b044');
    expect(systemHash('é')).toMatch(/^[0-9a-f]{16}$/);
  });
});

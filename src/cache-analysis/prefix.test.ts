import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { estimateInputTokens } from '../metering/estimate.js';
import { MAX_BLOCKS, decodePrefix, encodePrefix, hashPrefix } from './prefix.js';

const fixture = (path: string): Record<string, unknown> => JSON.parse(readFileSync(new URL(`../providers/${path}`, import.meta.url), 'utf8')) as Record<string, unknown>;
const clone = <T>(v: T): T => structuredClone(v);
const kinds = (p: ReturnType<typeof hashPrefix>) => p!.b.map((b) => b[0]).join('');

describe('hashPrefix: Anthropic Messages', () => {
  const body = fixture('anthropic/fixtures/request-cached.json');

  it('hashes tools, then system blocks, then message blocks, and finds each breakpoint with its TTL', () => {
    const p = hashPrefix('anthropic.messages', body)!;
    expect(kinds(p)).toBe('ttssmmmm');
    expect(p.n).toBe(8);
    expect(p.bp).toEqual([
      [1, '1h'],
      [3, 'default'],
      [7, 'default'],
    ]);
    expect(p.b.every(([, h]) => /^[0-9a-f]{16}$/.test(h))).toBe(true);
    // Sizes come from the metering estimate, block by block.
    const tools = body.tools as unknown[];
    expect(p.b[0]![2]).toBe(estimateInputTokens(tools[0]));
    expect(p.e).toBe(p.b.reduce((n, b) => n + b[2], 0));
  });

  it('a breakpoint does not change a block hash; a changed line changes only its own block', () => {
    const a = hashPrefix('anthropic.messages', body)!;
    const moved = clone(body);
    delete (moved.system as Record<string, unknown>[])[1]!.cache_control;
    expect(hashPrefix('anthropic.messages', moved)!.b.map((b) => b[1])).toEqual(a.b.map((b) => b[1]));
    const edited = clone(body);
    (edited.system as { text: string }[])[0]!.text = 'x-anthropic-billing-header: cc_version=2.1.330.def; cc_entrypoint=cli; cch=11111;';
    const b = hashPrefix('anthropic.messages', edited)!;
    expect(b.b.map((x, i) => x[1] === a.b[i]![1])).toEqual([true, true, false, true, true, true, true, true]);
  });

  it('a string system prompt is one block; top-level cache_control marks the last block', () => {
    const p = hashPrefix('anthropic.messages', { system: 'Be brief.', cache_control: { type: 'ephemeral' }, messages: [{ role: 'user', content: 'hi' }] })!;
    expect(kinds(p)).toBe('sm');
    expect(p.bp).toEqual([[1, 'default']]);
  });

  it('the same text under another role is another block', () => {
    const user = hashPrefix('anthropic.messages', { messages: [{ role: 'user', content: 'ok' }] })!;
    const assistant = hashPrefix('anthropic.messages', { messages: [{ role: 'assistant', content: 'ok' }] })!;
    expect(user.b[0]![1]).not.toBe(assistant.b[0]![1]);
  });
});

describe('hashPrefix: OpenAI', () => {
  it('chat: tools and the response schema first, system and developer messages as system blocks, explicit breakpoints', () => {
    const p = hashPrefix('openai.chat', fixture('openai/fixtures/chat-request.json'))!;
    expect(kinds(p)).toBe('ttssm');
    expect(p.bp).toEqual([[3, '30m']]);
  });

  it('responses: tools, instructions, then input items', () => {
    const p = hashPrefix('openai.responses', fixture('openai/fixtures/responses-request.json'))!;
    expect(kinds(p)).toBe('tssmm');
    expect(p.bp).toEqual([[3, 'default']]);
    expect(kinds(hashPrefix('openai.responses', { input: 'hello' }))).toBe('m');
  });
});

describe('hashPrefix: Gemini', () => {
  it('tools, system instruction parts, then content parts', () => {
    const p = hashPrefix('gemini.generate', fixture('gemini/fixtures/generate-request.json'))!;
    expect(kinds(p)).toBe('tssmmmm');
    expect(p.bp).toEqual([]);
  });
});

describe('prefix records', () => {
  it('keep no prompt text unless asked to', () => {
    const body = fixture('anthropic/fixtures/request-cached.json');
    const hashed = encodePrefix(hashPrefix('anthropic.messages', body)!);
    expect(hashed).not.toContain('Claude Code');
    expect(hashed).not.toContain('Paris');
    const kept = hashPrefix('anthropic.messages', body, true)!;
    expect(kept.b[3]![3]).toContain("You are Claude Code, Anthropic's official CLI");
  });

  it('store at most MAX_BLOCKS blocks but count and size them all', () => {
    const messages = Array.from({ length: MAX_BLOCKS + 10 }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: `turn ${i}` }));
    const p = hashPrefix('anthropic.messages', { messages })!;
    expect(p.b).toHaveLength(MAX_BLOCKS);
    expect(p.n).toBe(MAX_BLOCKS + 10);
    expect(p.e).toBe(messages.reduce((n, m) => n + estimateInputTokens(m.content), 0));
  });

  it('round-trip, and anything else decodes to undefined', () => {
    const p = hashPrefix('gemini.generate', fixture('gemini/fixtures/generate-request.json'))!;
    expect(decodePrefix(encodePrefix(p))).toEqual(p);
    for (const bad of [null, undefined, '', 'not json', '{"v":2}', '[]']) expect(decodePrefix(bad)).toBeUndefined();
  });

  it('no prompt, no hashes', () => {
    expect(hashPrefix('openai.embeddings', { input: 'x' })).toBeUndefined();
    expect(hashPrefix('anthropic.messages', 'text')).toBeUndefined();
  });
});

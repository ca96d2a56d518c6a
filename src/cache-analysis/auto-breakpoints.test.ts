import { describe, expect, it } from 'vitest';
import { insertBreakpoints, minCacheableTokens } from './auto-breakpoints.js';
import { cacheRuleMatcher, cacheStep } from './gateway.js';
import { decodePrefix } from './prefix.js';

const LONG = 'Policy. '.repeat(800); // ~1,600 estimated tokens
const run = (text: string, model = 'claude-sonnet-4-5') => insertBreakpoints(Buffer.from(text), JSON.parse(text), model, undefined);

describe('insertBreakpoints (cache: auto)', () => {
  it('turns a string system prompt into one cached block, leaving every other byte alone', () => {
    const text = `{ "model": "claude-sonnet-4-5",\n  "system": ${JSON.stringify(LONG)}, "messages": [{"role":"user","content":"hi"}] }`;
    const r = run(text)!;
    expect(r.positions).toEqual([0]);
    expect(r.body.toString()).toBe(text.replace(JSON.stringify(LONG), `[{"type":"text","text":${JSON.stringify(LONG)},"cache_control":{"type":"ephemeral"}}]`));
  });

  it('marks the last system block and, when the tools alone are cacheable, the last tool', () => {
    const tools = [{ name: 'a', description: LONG, input_schema: {} }, { name: 'b', input_schema: {} }];
    const body = { tools, system: [{ type: 'text', text: 'one' }, { type: 'text', text: 'two' }], messages: [] };
    const text = JSON.stringify(body);
    const r = insertBreakpoints(Buffer.from(text), body, 'claude-sonnet-4-5', '1h')!;
    expect(r.positions).toEqual([1, 3]);
    const out = JSON.parse(r.body.toString()) as typeof body & { tools: Record<string, unknown>[]; system: Record<string, unknown>[] };
    expect(out.tools[1]!.cache_control).toEqual({ type: 'ephemeral', ttl: '1h' });
    expect(out.system[1]!.cache_control).toEqual({ type: 'ephemeral', ttl: '1h' });
    expect(out.tools[0]!.cache_control).toBeUndefined();
    expect(out.system[0]!.cache_control).toBeUndefined();
  });

  it('leaves a request alone when the client set any breakpoint, or the prefix is below the minimum', () => {
    expect(run(JSON.stringify({ system: [{ type: 'text', text: LONG, cache_control: { type: 'ephemeral' } }], messages: [] }))).toBeUndefined();
    expect(run(JSON.stringify({ system: LONG, cache_control: { type: 'ephemeral' }, messages: [] }))).toBeUndefined();
    expect(run(JSON.stringify({ system: LONG, messages: [{ role: 'user', content: [{ type: 'text', text: 'x', cache_control: { type: 'ephemeral' } }] }] }))).toBeUndefined();
    expect(run(JSON.stringify({ system: 'short', messages: [] }))).toBeUndefined();
    // Haiku 4.5 needs 4,096 tokens.
    expect(run(JSON.stringify({ system: LONG, messages: [] }), 'claude-haiku-4-5')).toBeUndefined();
    expect(minCacheableTokens('claude-haiku-4-5-20251001')).toBe(4096);
  });

  it('the gateway step tags the request and records the added breakpoints in the prefix', () => {
    const text = JSON.stringify({ model: 'claude-sonnet-4-5', system: LONG, messages: [{ role: 'user', content: 'hi' }] });
    const match = cacheRuleMatcher([{ model: 'claude-*', provider: 'anthropic', mode: 'auto', ttl: undefined }]);
    const settings = { hashPrompts: true, storePrompts: false, rules: [] };
    const step = cacheStep(settings, match, { api: 'anthropic.messages', provider: 'anthropic', model: 'claude-sonnet-4-5', json: JSON.parse(text), raw: Buffer.from(text) });
    expect(step.auto).toBe(true);
    expect(decodePrefix(step.prefix!())!.bp).toEqual([[0, 'auto']]);
    const other = cacheStep(settings, match, { api: 'anthropic.messages', provider: 'bedrock', model: 'claude-sonnet-4-5', json: JSON.parse(text), raw: Buffer.from(text) });
    expect(other.auto).toBe(false);
    expect(other.raw.toString()).toBe(text);
    const off = cacheStep({ ...settings, hashPrompts: false }, match, { api: 'openai.chat', provider: 'openai', model: 'gpt-5', json: {}, raw: Buffer.from('{}') });
    expect(off.prefix).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { insertBreakpoints, minCacheableTokens } from './auto-breakpoints.js';
import { cacheRuleMatcher, cacheStep } from './gateway.js';
import { decodePrefix } from './prefix.js';

const LONG = 'Policy. '.repeat(800); // ~1,600 estimated tokens
const run = (text: string, model = 'claude-sonnet-4-5', ttl?: '5m' | '1h') => insertBreakpoints(Buffer.from(text), JSON.parse(text), model, ttl);
const EPHEMERAL = { type: 'ephemeral' };

/** An agent's prior turns: a tool call and its result per turn, each ~400 tokens. */
function history(turns: number): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [{ role: 'user', content: 'Fix the failing test. ' + 'Context. '.repeat(200) }];
  for (let i = 0; i < turns; i++) {
    out.push({ role: 'assistant', content: [{ type: 'thinking', thinking: 'hmm', signature: 's' }, { type: 'text', text: `Step ${i}` }, { type: 'tool_use', id: `tu${i}`, name: 'read', input: { path: `f${i}` } }] });
    out.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: `tu${i}`, content: 'file '.repeat(300) }] });
  }
  return out;
}

/** Where the breakpoints sit in a body: [tier, index, block index]. */
function marks(body: Buffer): string[] {
  const j = JSON.parse(body.toString()) as { tools?: Record<string, unknown>[]; system?: unknown; messages: { content: unknown }[] };
  const out: string[] = [];
  (j.tools ?? []).forEach((t, i) => t.cache_control && out.push(`tools[${i}]`));
  if (Array.isArray(j.system)) (j.system as Record<string, unknown>[]).forEach((b, i) => b.cache_control && out.push(`system[${i}]`));
  j.messages.forEach((m, i) => Array.isArray(m.content) && (m.content as Record<string, unknown>[]).forEach((b, k) => b.cache_control && out.push(`messages[${i}][${k}]`)));
  return out;
}

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

  it('leaves a request alone with top-level automatic caching, or when the prefix is below the minimum', () => {
    expect(run(JSON.stringify({ system: LONG, cache_control: { type: 'ephemeral' }, messages: [] }))).toBeUndefined();
    expect(run(JSON.stringify({ system: 'short', messages: [] }))).toBeUndefined();
    expect(run(JSON.stringify({ system: 'short', messages: [{ role: 'user', content: 'a' }, { role: 'assistant', content: 'b' }, { role: 'user', content: 'c' }] }))).toBeUndefined();
    // Haiku 4.5 needs 4,096 tokens.
    expect(run(JSON.stringify({ system: LONG, messages: [] }), 'claude-haiku-4-5')).toBeUndefined();
    expect(minCacheableTokens('claude-haiku-4-5-20251001')).toBe(4096);
    expect(minCacheableTokens('claude-opus-4-7')).toBe(2048);
    // Haiku 3 and 3.5 as their ids read (1,024 was taken for them, so their short prompts were reported as missing a breakpoint).
    for (const id of ['claude-3-5-haiku-20241022', 'claude-3-haiku-20240307', 'claude-3-5-haiku-latest']) expect(minCacheableTokens(id), id).toBe(2048);
    expect(minCacheableTokens('claude-opus-5')).toBe(512);
    expect(minCacheableTokens('claude-opus-5-5')).toBe(1024);
  });

  it('adds only the tiers the client left unmarked', () => {
    // The client cached its system prompt; auto adds nothing there, and the history is short.
    expect(run(JSON.stringify({ system: [{ type: 'text', text: LONG, cache_control: { type: 'ephemeral' } }], messages: [{ role: 'user', content: 'hi' }] }))).toBeUndefined();
    // Claude Code's way: system and the newest message marked, which covers the history too.
    const claudeCode = { system: [{ type: 'text', text: LONG, cache_control: { type: 'ephemeral' } }], messages: [...history(3), { role: 'user', content: [{ type: 'text', text: 'go on', cache_control: { type: 'ephemeral' } }] }] };
    expect(run(JSON.stringify(claudeCode))).toBeUndefined();
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

describe('cache: auto on a resent conversation history', () => {
  it('marks the last message of the prior history, not the newest message', () => {
    const messages = [{ role: 'user', content: LONG }, { role: 'assistant', content: 'Sure.' }, { role: 'user', content: 'And now?' }];
    const text = JSON.stringify({ model: 'claude-sonnet-4-5', system: 'You help.', messages });
    const r = run(text)!;
    // system is block 0 (too short alone); the messages are blocks 1, 2, 3.
    expect(r.positions).toEqual([2]);
    expect(r.body.toString()).toBe(text.replace('"content":"Sure."', '"content":[{"type":"text","text":"Sure.","cache_control":{"type":"ephemeral"}}]'));
  });

  it("puts it on the message's last block that may carry one (never a thinking block), with tools and system", () => {
    const tools = [{ name: 'read', description: LONG, input_schema: { type: 'object' } }];
    const messages = history(2).concat({ role: 'assistant', content: [{ type: 'text', text: 'Done' }, { type: 'thinking', thinking: 'x', signature: 's' }] }, { role: 'user', content: 'thanks' });
    const body = { model: 'claude-sonnet-4-5', tools, system: [{ type: 'text', text: 'You fix code.' }], messages };
    const r = run(JSON.stringify(body), 'claude-sonnet-4-5', '1h')!;
    expect(marks(r.body)).toEqual(['tools[0]', 'system[0]', 'messages[5][0]']);
    // Blocks: tool 0, system 1, then 1 + 3 + 1 + 3 + 1 message blocks before message 5 (from 11).
    expect(r.positions).toEqual([0, 1, 11]);
    const out = JSON.parse(r.body.toString()) as { messages: { content: Record<string, unknown>[] }[] };
    expect(out.messages[5]!.content[0]!.cache_control).toEqual({ type: 'ephemeral', ttl: '1h' });
    // Take the three markers out and the body is the client's, byte for byte.
    expect(r.body.toString().replaceAll(',"cache_control":{"type":"ephemeral","ttl":"1h"}', '')).toBe(JSON.stringify(body));
  });

  it('never goes past four breakpoints with the client’s own: system and history first, then the tools', () => {
    const tools = [{ name: 'a', description: LONG, input_schema: {} }, { name: 'b', description: 'b', input_schema: {} }];
    const messages = history(4);
    messages.push({ role: 'user', content: 'next' });
    // Two of the client's own, early in the conversation: room for two of auto's three.
    (messages[2]!.content as Record<string, unknown>[])[0]!.cache_control = EPHEMERAL;
    (messages[4]!.content as Record<string, unknown>[])[0]!.cache_control = EPHEMERAL;
    const body = { tools, system: [{ type: 'text', text: 'sys' }], messages };
    const r = run(JSON.stringify(body))!;
    expect(marks(r.body)).toEqual(['system[0]', 'messages[2][0]', 'messages[4][0]', 'messages[8][0]']);
    expect(r.positions).toHaveLength(2);

    // Three of the client's own: one left, for the system prompt.
    (messages[6]!.content as Record<string, unknown>[])[0]!.cache_control = EPHEMERAL;
    const one = run(JSON.stringify(body))!;
    expect(marks(one.body)).toEqual(['system[0]', 'messages[2][0]', 'messages[4][0]', 'messages[6][0]']);

    // Four, or more than Anthropic allows: the request is not touched.
    (body.system[0] as Record<string, unknown>).cache_control = EPHEMERAL;
    expect(run(JSON.stringify(body))).toBeUndefined();
    (tools[1] as Record<string, unknown>).cache_control = EPHEMERAL;
    expect(run(JSON.stringify(body))).toBeUndefined();
  });

  it('counts the client’s breakpoints nested in a tool result among the four', () => {
    const nested = (i: number) => ({ role: 'user', content: [{ type: 'tool_result', tool_use_id: `tu${i}`, content: [{ type: 'text', text: 'out '.repeat(100), cache_control: EPHEMERAL }] }] });
    const messages: Record<string, unknown>[] = [{ role: 'user', content: LONG }];
    for (let i = 0; i < 3; i++) messages.push({ role: 'assistant', content: [{ type: 'tool_use', id: `tu${i}`, name: 'read', input: {} }] }, nested(i));
    messages.push({ role: 'assistant', content: [{ type: 'text', text: 'done' }] }, { role: 'user', content: 'next' });
    const count = (b: Buffer) => b.toString().split('"cache_control"').length - 1;
    // Three nested and one on the system prompt: four already, so nothing is added (a fifth was, and Anthropic refuses five).
    const full = JSON.stringify({ system: [{ type: 'text', text: LONG, cache_control: EPHEMERAL }], messages });
    expect(run(full)).toBeUndefined();
    // Three nested: one slot left, and four in all.
    const three = run(JSON.stringify({ system: [{ type: 'text', text: LONG }], messages }))!;
    expect(count(three.body)).toBe(4);
  });

  it('never marks an empty last system block', () => {
    // Anthropic refuses cache_control on an empty text block; the history still gets its breakpoint.
    const body = { system: [{ type: 'text', text: LONG }, { type: 'text', text: '' }], messages: history(2).concat({ role: 'user', content: 'next' }) };
    expect(marks(run(JSON.stringify(body))!.body)).toEqual(['messages[4][0]']);
  });

  it('keeps 1-hour breakpoints before 5-minute ones', () => {
    const messages = history(2).concat({ role: 'user', content: 'next' });
    // The client's 5-minute system breakpoint comes first: a 1-hour one after it would be refused upstream.
    const fiveFirst = { system: [{ type: 'text', text: LONG, cache_control: EPHEMERAL }], messages };
    expect(run(JSON.stringify(fiveFirst), 'claude-sonnet-4-5', '1h')).toBeUndefined();
    expect(marks(run(JSON.stringify(fiveFirst), 'claude-sonnet-4-5', '5m')!.body)).toEqual(['system[0]', 'messages[4][0]']);
    // The client's 1-hour breakpoint on an early message: a 5-minute system one before it would be refused.
    const hourLater = { system: [{ type: 'text', text: LONG }], messages: history(2).concat({ role: 'user', content: 'next' }) };
    (hourLater.messages[2]!.content as Record<string, unknown>[])[0]!.cache_control = { type: 'ephemeral', ttl: '1h' };
    expect(marks(run(JSON.stringify(hourLater), 'claude-sonnet-4-5', '5m')!.body)).toEqual(['messages[2][0]', 'messages[4][0]']);
    expect(marks(run(JSON.stringify(hourLater), 'claude-sonnet-4-5', '1h')!.body)).toEqual(['system[0]', 'messages[2][0]', 'messages[4][0]']);
  });

  it('replaces a block’s "cache_control": null instead of adding a second key, and does not count it', () => {
    // Four null markers: none is a breakpoint, so all three of auto's fit.
    const tools = [{ name: 'a', description: LONG, input_schema: {}, cache_control: null }];
    const system = [{ type: 'text', text: 'sys', cache_control: null }];
    const messages = history(2).concat({ role: 'user', content: [{ type: 'text', text: 'next', cache_control: null }] });
    (messages[4]!.content as Record<string, unknown>[])[0]!.cache_control = null;
    const text = JSON.stringify({ tools, system, messages }).replace('"sys","cache_control":null', '"sys", "cache_control" :\n null ');
    const r = run(text)!;
    expect(r.positions).toHaveLength(3);
    const out = r.body.toString();
    expect(marks(r.body)).toEqual(['tools[0]', 'system[0]', 'messages[4][0]']);
    // Every object has one cache_control key at most: the three nulls replaced, the newest message's kept.
    expect(out.split('"cache_control"').length - 1).toBe(4);
    expect(out.split('"cache_control":null').length - 1).toBe(1);
    // Only the null values changed: every other byte (the spacing around the key too) is the client's.
    expect(out.replaceAll('{"type":"ephemeral"}', 'null')).toBe(text);
  });

  it('treats a top-level "cache_control": null as no automatic caching', () => {
    const r = run(JSON.stringify({ system: LONG, cache_control: null, messages: [] }))!;
    expect(r.positions).toEqual([0]);
    expect(JSON.parse(r.body.toString())).toMatchObject({ cache_control: null, system: [{ cache_control: EPHEMERAL }] });
  });

  it('leaves a one-message request and a history without a markable block alone', () => {
    expect(run(JSON.stringify({ system: 'x', messages: [{ role: 'user', content: LONG }] }))).toBeUndefined();
    const onlyThinking = { system: 'x', messages: [{ role: 'user', content: LONG }, { role: 'assistant', content: [{ type: 'thinking', thinking: 't', signature: 's' }, { type: 'text', text: '' }] }, { role: 'user', content: 'y' }] };
    expect(run(JSON.stringify(onlyThinking))).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import type { Api } from '../core/api.js';
import type { GatewayError } from '../core/errors.js';
import type { LedgerRow } from '../core/ledger-row.js';
import { type Logger, silentLogger } from '../core/logger.js';
import type { AdmitRequest } from './admission.js';
import { MemoryCounters } from './counters/memory.js';
import { Enforcer } from './enforcer.js';
import type { StoredContext } from './estimate.js';
import { RESPONSE_LOOKBACK_MS, ResponseContexts } from './response-context.js';
import { budget, price, settings } from './testing/enforcer.js';
import { noEvents } from './threshold-watch.js';

const NOW = Date.parse('2026-11-22T10:00:00Z');
const row = (o: Partial<LedgerRow>) => ({ api: 'openai.responses', responseId: 'resp_a', usageSource: 'final', status: 200, inputTokens: 1200, outputTokens: 300, ...o }) as LedgerRow;

function contexts(lookup: (id: string, since: number, until: number) => Promise<number | undefined>, log: Logger = silentLogger) {
  const calls: [string, number, number][] = [];
  const c = new ResponseContexts({ lookup: (id, since, until) => (calls.push([id, since, until]), lookup(id, since, until)), fallbackTokens: 128_000, timeoutMs: 50, now: () => NOW, log });
  return { c, calls };
}

describe('a Responses follow-up’s stored context', () => {
  it('counts a response this process recorded at its own input and output tokens, without reading the ledger', async () => {
    const { c, calls } = contexts(() => Promise.resolve(5));
    c.remember(row({}));
    // Not a follow-up's context: another API, no id, no final usage, an error.
    for (const o of [{ api: 'openai.chat' as const, responseId: 'resp_b' }, { responseId: null }, { responseId: 'resp_c', usageSource: 'none' as const }, { responseId: 'resp_d', status: 500 }]) c.remember(row(o));
    expect(await c.contextOf('resp_a')).toEqual({ tokens: 1500, previous: 'resp_a' });
    expect(calls).toEqual([]);
    expect(await c.contextOf('resp_c')).toEqual({ tokens: 5, previous: 'resp_c' });
  });

  it('reads one it does not know from the ledger, in a window before now, else counts the setting', async () => {
    const { c, calls } = contexts((id) => Promise.resolve(id === 'resp_stored' ? 777 : undefined));
    expect(await c.contextOf('resp_stored')).toEqual({ tokens: 777, previous: 'resp_stored' });
    expect(await c.contextOf('resp_gone')).toEqual({ tokens: 128_000, previous: null });
    expect(calls).toEqual([
      ['resp_stored', NOW - RESPONSE_LOOKBACK_MS, NOW + 1],
      ['resp_gone', NOW - RESPONSE_LOOKBACK_MS, NOW + 1],
    ]);
  });

  it('counts the setting for a conversation, whose context no row gives, without reading the ledger', async () => {
    const { c, calls } = contexts(() => Promise.resolve(5));
    expect(await c.contextOf(undefined)).toEqual({ tokens: 128_000, previous: null });
    expect(calls).toEqual([]);
  });

  it('counts the setting when the ledger does not answer in time, or fails, and says so once until it reads again', async () => {
    const warned: string[] = [];
    const log = { ...silentLogger, warn: (m: string) => void warned.push(m) };
    let answer: () => Promise<number | undefined> = () => new Promise(() => undefined);
    const { c } = contexts(() => answer(), log);
    const started = Date.now();
    expect(await c.contextOf('resp_slow')).toEqual({ tokens: 128_000, previous: null });
    expect(Date.now() - started).toBeLessThan(1000);
    answer = () => Promise.reject(new Error('storage is down'));
    expect(await c.contextOf('resp_down')).toEqual({ tokens: 128_000, previous: null });
    expect(warned).toHaveLength(1);
    answer = () => Promise.resolve(9);
    expect(await c.contextOf('resp_back')).toEqual({ tokens: 9, previous: 'resp_back' });
    answer = () => Promise.reject(new Error('storage is down'));
    await c.contextOf('resp_down');
    expect(warned).toHaveLength(2);
  });
});

describe('admission of a Responses follow-up', () => {
  let seq = 0;
  const request = (json: unknown, api: Api = 'openai.responses'): AdmitRequest<{ provider: string; catalogProvider: undefined }> => ({
    id: `f${++seq}`, caller: { keyId: 'k1', user: 'alice', team: null, project: null, tags: {} }, model: 'gpt-5', keep: false, bodyBytes: 100, json, api, maxOutputTokens: 100, resolve: () => ({ provider: 'openai', catalogProvider: undefined }),
  });
  /** $1 per 1,000 tokens: a limit of $5 fits the 200 tokens of the body and the output, and 4,800 more. */
  function enforcer(known: Record<string, number>) {
    const asked: (string | undefined)[] = [];
    const storedContext = (previous: string | undefined): Promise<StoredContext> => {
      asked.push(previous);
      const tokens = previous === undefined ? undefined : known[previous];
      return Promise.resolve(tokens === undefined ? { tokens: 128_000, previous: null } : { tokens, previous: previous! });
    };
    const e = new Enforcer({ rules: () => ({ budgets: [budget({ scope: 'user:alice', window: 'day', limit_usd: 5 })], rateLimits: [], modelPolicies: [], increases: [] }), counters: new MemoryCounters(), price, fromLedger: (c) => Promise.resolve({ marker: c.line.marker, ttlMs: 1e9, bucketTtlMs: 1e9, amounts: [] }), events: noEvents, settings, log: silentLogger, now: () => NOW, storedContext });
    return { e, asked };
  }

  it('reserves the previous response’s own tokens when they are known, and asks about follow-ups alone', async () => {
    const { e, asked } = enforcer({ resp_small: 3_000 });
    expect((await e.admit(request({ input: 'hi' }))).model).toBe('gpt-5');
    expect(asked).toEqual([]);
    const a = await e.admit(request({ input: 'go on', previous_response_id: 'resp_small' }));
    expect(a.headers['x-tollgate-budget-remaining']).toBeDefined();
    expect(asked).toEqual(['resp_small']);
  });

  it('refuses one it does not know as the setting counts it, and says what was counted and why', async () => {
    const { e, asked } = enforcer({ resp_big: 9_000 });
    const unknown = (await e.admit(request({ input: 'go on', previous_response_id: 'resp_gone' })).catch((x: unknown) => x)) as GatewayError;
    expect(unknown.message).toContain('most of them (128,000) allowed for the stored response or conversation it continues (`previous_response_id`, `conversation`), which is billed as input and whose size is not known (`policy.responses_context_tokens`)');
    expect(unknown.details).toMatchObject({ request_referenced_tokens: 128_000, request_referenced_from: 'setting' });
    const big = (await e.admit(request({ input: 'go on', previous_response_id: 'resp_big' })).catch((x: unknown) => x)) as GatewayError;
    expect(big.message).toContain("most of them (9,000) for the stored response it continues (`previous_response_id` resp_big: that response's own input and output tokens, as the ledger has them)");
    expect(big.details).toMatchObject({ request_input_tokens: 9_100, request_referenced_tokens: 9_000, request_referenced_from: 'ledger', request_previous_response_id: 'resp_big' });
    const conversation = (await e.admit(request({ input: 'go on', conversation: 'conv_1' })).catch((x: unknown) => x)) as GatewayError;
    expect(conversation.details).toMatchObject({ request_referenced_tokens: 128_000, request_referenced_from: 'setting' });
    expect(asked).toEqual(['resp_gone', 'resp_big', undefined]);
  });

  it('takes a stray previous_response_id in a chat completion or a Message for no follow-up: nothing asked, nothing counted for it', async () => {
    const { e, asked } = enforcer({ resp_big: 9_000 });
    const chat = { messages: [{ role: 'user', content: 'hi' }], previous_response_id: 'resp_gone', conversation: 'conv_1' };
    expect((await e.admit(request(chat, 'openai.chat'))).model).toBe('gpt-5');
    expect((await e.admit(request({ ...chat, previous_response_id: 'resp_big' }, 'anthropic.messages'))).model).toBe('gpt-5');
    expect((await e.admit(request({ contents: [], previous_interaction_id: 'v1_gone' }, 'gemini.generate'))).model).toBe('gpt-5');
    expect(asked).toEqual([]);
  });

  it('does not ask when no rule counts a request’s tokens (model policies alone)', async () => {
    const asked: (string | undefined)[] = [];
    const storedContext = (previous: string | undefined): Promise<StoredContext> => (asked.push(previous), Promise.resolve({ tokens: 1, previous: null }));
    const policy = { id: 'p', name: null, scope: { kind: 'org' as const, value: '' }, allow: null, deny: ['gpt-4*'], rewrites: [], allowKeep: true, source: 'api' as const, createdAt: 0 };
    const e = new Enforcer({ rules: () => ({ budgets: [], rateLimits: [], modelPolicies: [policy], increases: [] }), counters: new MemoryCounters(), price, fromLedger: () => Promise.reject(new Error('not read')), events: noEvents, settings, log: silentLogger, now: () => NOW, storedContext });
    expect((await e.admit(request({ input: 'go on', previous_response_id: 'resp_a' }))).model).toBe('gpt-5');
    expect(asked).toEqual([]);
  });
});

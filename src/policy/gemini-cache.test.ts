import { describe, expect, it } from 'vitest';
import type { LedgerRow } from '../core/ledger-row.js';
import { type Logger, silentLogger } from '../core/logger.js';
import { CACHE_LOOKBACK_MS, GEMINI_CACHE_TOKENS, GeminiCaches } from './gemini-cache.js';

const NOW = Date.parse('2026-12-07T10:00:00Z');
const row = (o: Partial<LedgerRow>) => ({ api: 'gemini.caches', responseId: 'cachedContents/abc', usageSource: 'final', status: 200, inputTokens: 40_000, outputTokens: 0, ...o }) as LedgerRow;

function caches(lookup: (name: string, since: number, until: number) => Promise<number | undefined>, log: Logger = silentLogger) {
  const calls: [string, number, number][] = [];
  const c = new GeminiCaches({ lookup: (name, since, until) => (calls.push([name, since, until]), lookup(name, since, until)), fallbackTokens: GEMINI_CACHE_TOKENS, timeoutMs: 50, now: () => NOW, log });
  return { c, calls };
}

describe('the explicit Gemini cache a request names', () => {
  it('counts a cache this process saw made at the tokens it cached, without reading the ledger', async () => {
    const { c, calls } = caches(() => Promise.resolve(5));
    c.remember(row({}));
    // Not a cache's creation: another API, no name, no final usage, an error.
    for (const o of [{ api: 'gemini.generate' as const, responseId: 'cachedContents/b' }, { responseId: null }, { responseId: 'cachedContents/c', usageSource: 'none' as const }, { responseId: 'cachedContents/d', status: 500 }]) c.remember(row(o));
    expect(await c.contentOf('cachedContents/abc')).toEqual({ tokens: 40_000, cache: 'cachedContents/abc' });
    expect(calls).toEqual([]);
  });

  it('reads one it does not know from the ledger in the hour before now, once (a cache never changes), else counts the setting', async () => {
    const { c, calls } = caches((name) => Promise.resolve(name === 'cachedContents/stored' ? 7_000 : undefined));
    expect(await c.contentOf('cachedContents/stored')).toEqual({ tokens: 7_000, cache: 'cachedContents/stored' });
    expect(await c.contentOf('cachedContents/stored')).toEqual({ tokens: 7_000, cache: 'cachedContents/stored' });
    expect(await c.contentOf('cachedContents/gone')).toEqual({ tokens: GEMINI_CACHE_TOKENS, cache: null });
    expect(calls).toEqual([
      ['cachedContents/stored', NOW - CACHE_LOOKBACK_MS, NOW + 1],
      ['cachedContents/gone', NOW - CACHE_LOOKBACK_MS, NOW + 1],
    ]);
    expect(GEMINI_CACHE_TOKENS).toBe(1_048_576);
  });

  it('counts the setting when the ledger does not answer in time, or fails, and says so once until it reads again', async () => {
    const warned: string[] = [];
    const log = { ...silentLogger, warn: (m: string) => void warned.push(m) };
    let answer: () => Promise<number | undefined> = () => new Promise(() => undefined);
    const { c } = caches(() => answer(), log);
    expect(await c.contentOf('cachedContents/slow')).toEqual({ tokens: GEMINI_CACHE_TOKENS, cache: null });
    answer = () => Promise.reject(new Error('storage is down'));
    expect(await c.contentOf('cachedContents/down')).toEqual({ tokens: GEMINI_CACHE_TOKENS, cache: null });
    expect(warned).toEqual(['could not read a Gemini cache’s size from the ledger: it counts as policy.gemini_cache_tokens']);
    answer = () => Promise.resolve(9);
    expect(await c.contentOf('cachedContents/back')).toEqual({ tokens: 9, cache: 'cachedContents/back' });
    answer = () => Promise.reject(new Error('storage is down'));
    await c.contentOf('cachedContents/down');
    expect(warned).toHaveLength(2);
  });
});

import { describe, expect, it } from 'vitest';
import { Capacity } from './capacity.js';
import { parseGoDuration, readRateHeaders, unifiedResetWaitMs } from './rate-limits.js';
import { backoffMs, mayRetry, requestedWaitMs, triggerForStatus } from './retry.js';
import { DEFAULT_RETRY } from './types.js';

const T0 = Date.UTC(2026, 11, 2, 10, 0, 0);

describe('rate-limit headers', () => {
  it('reads Go durations as OpenAI sends them', () => {
    expect(parseGoDuration('6m0s')).toBe(360_000);
    expect(parseGoDuration('1s')).toBe(1000);
    expect(parseGoDuration('12ms')).toBe(12);
    expect(parseGoDuration('1h2m3.5s')).toBe(3_723_500);
    expect(parseGoDuration('soon')).toBeUndefined();
    expect(parseGoDuration('')).toBeUndefined();
  });

  it('reads OpenAI and Anthropic headers into remaining counts with absolute resets', () => {
    expect(readRateHeaders({ 'x-ratelimit-limit-requests': '60', 'x-ratelimit-remaining-requests': '59', 'x-ratelimit-reset-requests': '1s', 'x-ratelimit-remaining-tokens': '149984', 'x-ratelimit-limit-tokens': '150000', 'x-ratelimit-reset-tokens': '6m0s' }, T0)).toEqual({
      requests: { limit: 60, remaining: 59, resetAt: T0 + 1000 },
      tokens: { limit: 150000, remaining: 149984, resetAt: T0 + 360_000 },
    });
    expect(readRateHeaders({ 'anthropic-ratelimit-requests-limit': '4000', 'anthropic-ratelimit-requests-remaining': '3999', 'anthropic-ratelimit-requests-reset': '2026-12-02T10:00:05Z' }, T0)).toEqual({
      requests: { limit: 4000, remaining: 3999, resetAt: T0 + 5000 },
    });
    expect(readRateHeaders({ 'content-type': 'application/json' }, T0)).toBeUndefined();
  });
});

describe('retry decisions', () => {
  it('classifies statuses, and honours x-should-retry: false and the configured triggers', () => {
    expect([429, 529, 503, 500, 502, 400, 401, 200].map((s) => triggerForStatus(s))).toEqual(['rate_limit', 'overloaded', 'overloaded', 'server_error', 'server_error', undefined, undefined, undefined]);
    // The key the gateway holds for the deployment refused: the account's fault; a client's own key: the client's.
    expect([401, 403, 400].map((s) => triggerForStatus(s, true))).toEqual(['auth', 'auth', undefined]);
    expect(mayRetry(DEFAULT_RETRY, 'rate_limit', {})).toBe(true);
    expect(mayRetry(DEFAULT_RETRY, 'rate_limit', { 'x-should-retry': 'false' })).toBe(false);
    expect(mayRetry({ ...DEFAULT_RETRY, on: new Set(['connect']) }, 'server_error', {})).toBe(false);
  });

  it('prefers retry-after-ms, then retry-after in seconds or as a date', () => {
    expect(requestedWaitMs({ 'retry-after-ms': '250', 'retry-after': '9' }, T0)).toBe(250);
    expect(requestedWaitMs({ 'retry-after': '2' }, T0)).toBe(2000);
    expect(requestedWaitMs({ 'retry-after': new Date(T0 + 3000).toUTCString() }, T0)).toBe(3000);
    expect(requestedWaitMs({}, T0)).toBeUndefined();
  });

  it('backs off exponentially with full jitter, up to the ceiling', () => {
    const p = { ...DEFAULT_RETRY, backoffMs: 100, maxBackoffMs: 1000 };
    expect([1, 2, 3, 4, 5].map((n) => backoffMs(p, n, () => 1))).toEqual([100, 200, 400, 800, 1000]);
    expect(backoffMs(p, 3, () => 0)).toBe(0);
  });
});

describe('capacity', () => {
  it('stops at zero remaining until the reset, counting requests still in flight', () => {
    const c = new Capacity(undefined, undefined);
    c.sent(10, T0);
    c.sent(10, T0);
    c.done(10, 10, T0 + 5);
    c.observe({ requests: { limit: 2, remaining: 1, resetAt: T0 + 1000 } }, T0 + 5);
    // The other request is still in flight and counts against the one remaining.
    expect(c.freeAt(10, T0 + 6)).toBe(T0 + 1000);
    expect(c.headroom(T0 + 6)).toBe(0);
    expect(c.freeAt(10, T0 + 1000)).toBe(0);
  });

  it('honours a token budget and a 429 block', () => {
    const c = new Capacity(undefined, undefined);
    c.observe({ tokens: { limit: 1000, remaining: 300, resetAt: T0 + 500 } }, T0);
    expect(c.freeAt(200, T0)).toBe(0);
    expect(c.freeAt(400, T0)).toBe(T0 + 500);
    c.block(T0 + 2000);
    expect(c.freeAt(1, T0 + 600)).toBe(T0 + 2000);
  });

  it('counts configured rpm over a sliding minute', () => {
    const c = new Capacity(2, undefined);
    c.sent(1, T0);
    c.sent(1, T0 + 1);
    expect(c.freeAt(1, T0 + 2)).toBeGreaterThan(T0 + 2);
    // Late in the next minute, the previous minute's two requests weigh little.
    expect(c.freeAt(1, T0 + 60_000 + 50_000)).toBe(0);
  });

  it('keeps counting a minute’s tokens after a request whose output cap is huge (1e308) ends', () => {
    const c = new Capacity(undefined, 10_000);
    c.sent(5_000, T0);
    c.done(5_000, 5_000, T0 + 1);
    c.sent(1e308, T0 + 2);
    c.done(1e308, 100, T0 + 3);
    // 5,100 used of 10,000: a request of 6,000 waits; one of 4,000 fits.
    expect(c.freeAt(6_000, T0 + 4)).toBeGreaterThan(T0 + 4);
    expect(c.freeAt(4_000, T0 + 4)).toBe(0);
  });
});

describe('unifiedResetWaitMs', () => {
  it('reads a Claude subscription reset in epoch seconds as the wait until it, and nothing once it has passed', () => {
    const now = 1_700_000_000_500;
    expect(unifiedResetWaitMs({ 'anthropic-ratelimit-unified-reset': '1700003600' }, now)).toBe(3_599_500);
    expect(unifiedResetWaitMs({ 'anthropic-ratelimit-unified-reset': '1700000000' }, now)).toBeUndefined();
    expect(unifiedResetWaitMs({ 'anthropic-ratelimit-unified-reset': 'soon' }, now)).toBeUndefined();
    expect(unifiedResetWaitMs({}, now)).toBeUndefined();
  });

  it('waits 6 hours at the most, as Claude Code does: a weekly reset days away or a reset in ms does not rest a deployment for days', () => {
    const now = 1_700_000_000_000;
    expect(unifiedResetWaitMs({ 'anthropic-ratelimit-unified-reset': String(1_700_000_000 + 5 * 86_400) }, now)).toBe(21_600_000);
    expect(unifiedResetWaitMs({ 'anthropic-ratelimit-unified-reset': String(now + 3_600_000) }, now)).toBe(21_600_000);
  });
});

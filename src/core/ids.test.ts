import { describe, expect, it } from 'vitest';
import { newRequestId, randomToken } from './ids.js';

describe('ids', () => {
  it('makes RFC 9562 version-7 UUIDs that sort by time', () => {
    const a = newRequestId(Date.UTC(2026, 10, 22, 10));
    const b = newRequestId(Date.UTC(2026, 10, 22, 11));
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a < b).toBe(true);
    expect(parseInt(a.replace(/-/g, '').slice(0, 12), 16)).toBe(Date.UTC(2026, 10, 22, 10));
    expect(new Set(Array.from({ length: 1000 }, () => newRequestId(0))).size).toBe(1000);
  });

  it('stamps each id with its own millisecond, however the calls interleave', () => {
    const stamp = (id: string) => parseInt(id.replace(/-/g, '').slice(0, 12), 16);
    for (const ms of [7, 7, 8, 7, 2 ** 40 + 3, 8]) expect(stamp(newRequestId(ms))).toBe(ms);
  });

  it('makes URL-safe random tokens', () => {
    expect(randomToken(32)).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});

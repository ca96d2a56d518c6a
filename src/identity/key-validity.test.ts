import { describe, expect, it } from 'vitest';
import type { KeyRecord } from '../storage/ports.js';
import { keyRefusal, parseExpiry } from './key-validity.js';

const NOW = Date.UTC(2026, 11, 5, 12);
const key = (o: Partial<KeyRecord> = {}): KeyRecord => ({ id: 'key_1', prefix: 'tg_x', user: 'a', team: null, project: null, name: null, createdAt: 0, revokedAt: null, expiresAt: null, ...o });

describe('parseExpiry', () => {
  it('takes a span from now, a date at its first instant (UTC) or a timestamp', () => {
    expect(parseExpiry('12h', NOW)).toBe(NOW + 12 * 3_600_000);
    expect(parseExpiry('30d', NOW)).toBe(NOW + 30 * 86_400_000);
    expect(parseExpiry('2w', NOW)).toBe(NOW + 14 * 86_400_000);
    expect(parseExpiry('2027-01-31', NOW)).toBe(Date.UTC(2027, 0, 31));
    expect(parseExpiry('2027-01-31T09:30:00+01:00', NOW)).toBe(Date.UTC(2027, 0, 31, 8, 30));
  });

  it('refuses what is not a time, what is past and what is absurdly far, saying why', () => {
    expect(() => parseExpiry('soon', NOW)).toThrow('expires "soon" is not a time: use a span like 12h, 30d or 2w');
    expect(() => parseExpiry('2026-02-30', NOW)).toThrow('is not a time');
    expect(() => parseExpiry('2026-12-01', NOW)).toThrow('expires "2026-12-01" is not in the future (2026-12-01T00:00:00.000Z)');
    expect(() => parseExpiry('0d', NOW)).toThrow('is not in the future');
    expect(() => parseExpiry('4000d', NOW)).toThrow('more than ten years away');
  });
});

describe('keyRefusal', () => {
  it('lets a key through until it expires, and refuses it from that instant', () => {
    expect(keyRefusal(key(), NOW)).toBeUndefined();
    expect(keyRefusal(key({ expiresAt: NOW + 1 }), NOW)).toBeUndefined();
    expect(keyRefusal(key({ expiresAt: NOW }), NOW)).toEqual({ code: 'expired_api_key', message: 'Tollgate key key_1 expired at 2026-12-05T12:00:00.000Z. Ask your admin for a new key.' });
  });

  it('calls a key revoked, not expired, when it is both', () => {
    expect(keyRefusal(key({ revokedAt: 5, expiresAt: NOW - 1 }), NOW)?.code).toBe('revoked_api_key');
  });
});

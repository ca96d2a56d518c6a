import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { anyInstant, parseInstant } from './instant.js';

describe('parseInstant', () => {
  it('reads dates and timestamps as UTC unless they carry an offset', () => {
    expect(parseInstant('2026-11-01')).toBe(Date.UTC(2026, 10, 1));
    expect(parseInstant('2026-11-01T10:30')).toBe(Date.UTC(2026, 10, 1, 10, 30));
    expect(parseInstant('2026-11-01T10:30:05.25Z')).toBe(Date.UTC(2026, 10, 1, 10, 30, 5, 250));
    expect(parseInstant('2026-11-01T10:30:00+05:30')).toBe(Date.UTC(2026, 10, 1, 5, 0));
    expect(parseInstant('2026-11-01T10:30:00-0800')).toBe(Date.UTC(2026, 10, 1, 18, 30));
  });

  it('refuses what does not exist or is not an instant', () => {
    for (const bad of ['2026-02-29', '2026-13-01', '2026-11-01T24:00', '2026-11-01T10:60', '2026-11-01T10:00+24:00', 'yesterday', '1764777600000', '']) {
      expect(parseInstant(bad), bad).toBeUndefined();
    }
  });

  it('reads the years 0 to 99 as written (Date.UTC takes them for 1900 to 1999)', () => {
    for (const [text, iso] of [
      ['0001-01-01', '0001-01-01T00:00:00.000Z'],
      ['0099-12-31T23:59:59.5Z', '0099-12-31T23:59:59.500Z'],
      ['0000-03-01T10:00+02:00', '0000-03-01T08:00:00.000Z'],
      ['0004-02-29', '0004-02-29T00:00:00.000Z'],
    ]) {
      expect(new Date(parseInstant(text!)!).toISOString(), text).toBe(iso);
    }
    // The Gregorian leap rule holds there too: 100 and 99 have no 29 February.
    for (const bad of ['0100-02-29', '0099-02-29', '0050-13-01']) expect(parseInstant(bad), bad).toBeUndefined();
  });

  it('reads canonical stamps (the quick path) exactly as the full check does, edge days, hours, years and fractions included', () => {
    const two = (lo: number, hi: number) => fc.integer({ min: lo, max: hi }).map((n) => String(n).padStart(2, '0'));
    const stamp = fc
      .tuple(fc.integer({ min: 0, max: 9999 }), two(0, 13), two(0, 32), two(0, 25), two(0, 61), two(0, 61), fc.option(fc.stringMatching(/^[0-9]{0,10}$/)), fc.constantFrom('Z', 'z', '', '+01:00', ' '))
      .map(([y, mo, d, h, mi, s, frac, end]) => `${String(y).padStart(4, '0')}-${mo}-${d}T${h}:${mi}:${s}${frac === null ? '' : `.${frac}`}${end}`);
    fc.assert(
      fc.property(stamp, (t) => {
        expect(parseInstant(t), t).toBe(anyInstant(t));
      }),
      { numRuns: 20_000 },
    );
    for (const t of ['2100-02-29T00:00:00Z', '2000-02-29T00:00:00Z', '2024-02-29T00:00:00Z', '2026-02-29T00:00:00Z', '2026-04-31T00:00:00Z', '2026-12-31T23:59:59Z', '2026-02-30T00:00:00Z', '2024-02-29T12:00:00Z', '2026-01-01T24:00:00Z', '0099-01-01T00:00:00Z', '2026-01-01T10:00:00.Z', '2026-01-01T10:00:00.1234567891Z', '2026-01-01 10:00:00Z']) {
      expect(parseInstant(t), t).toBe(anyInstant(t));
    }
    expect(parseInstant('2026-11-18T14:07:30.123456Z')).toBe(Date.UTC(2026, 10, 18, 14, 7, 30, 123));
  });
});

import { describe, expect, it } from 'vitest';
import { parseWindowSpec } from './windows.js';

const NOW = Date.UTC(2026, 11, 2, 10, 30); // Wednesday 2 December 2026

describe('explain windows', () => {
  it('reads START..END with dates, timestamps and spans', () => {
    expect(parseWindowSpec('2026-11-01..2026-11-08', NOW)).toEqual({ since: Date.UTC(2026, 10, 1), until: Date.UTC(2026, 10, 8), label: '2026-11-01..2026-11-08' });
    expect(parseWindowSpec('2026-11-01/2026-11-08T12:00:00Z', NOW)).toMatchObject({ since: Date.UTC(2026, 10, 1), until: Date.UTC(2026, 10, 8, 12) });
    expect(parseWindowSpec('14d..7d', NOW)).toMatchObject({ since: NOW - 14 * 86_400_000, until: NOW - 7 * 86_400_000 });
  });

  it('reads named windows: weeks start on Monday (UTC)', () => {
    expect(parseWindowSpec('this-week', NOW)).toMatchObject({ since: Date.UTC(2026, 10, 30), until: NOW });
    expect(parseWindowSpec('last-week', NOW)).toMatchObject({ since: Date.UTC(2026, 10, 23), until: Date.UTC(2026, 10, 30) });
    expect(parseWindowSpec('yesterday', NOW)).toMatchObject({ since: Date.UTC(2026, 11, 1), until: Date.UTC(2026, 11, 2) });
    expect(parseWindowSpec('last-month', NOW)).toMatchObject({ since: Date.UTC(2026, 10, 1), until: Date.UTC(2026, 11, 1) });
    expect(parseWindowSpec('prev-7d', NOW)).toMatchObject({ since: NOW - 14 * 86_400_000, until: NOW - 7 * 86_400_000 });
    expect(parseWindowSpec('last-24h', NOW)).toMatchObject({ since: NOW - 86_400_000, until: NOW });
  });

  it('names what is accepted', () => {
    expect(() => parseWindowSpec('fortnight', NOW)).toThrow(/not a window: use START\.\.END/);
    expect(() => parseWindowSpec('2026-11-08..2026-11-01', NOW)).toThrow(/the end must be after the start/);
    expect(() => parseWindowSpec('2026-02-30..2026-03-05', NOW)).toThrow(/"2026-02-30" is not a time/);
    expect(() => parseWindowSpec('last-99999999999d', NOW)).toThrow(/^window "last-99999999999d" reaches back before 1970-01-01, the earliest time taken/);
    // A window reaching before 1970 is refused as a span bound is (src/reports/time.ts), named or not.
    expect(() => parseWindowSpec('prev-15000d', NOW)).toThrow(`window "prev-15000d" reaches back before 1970-01-01, the earliest time taken: at most ${Math.floor(NOW / 86_400_000)}d back from now; for everything, write 1970-01-01`);
    expect(parseWindowSpec('last-7000d', NOW).since).toBeGreaterThan(0);
    expect(() => parseWindowSpec('0099-01-01..2026-01-01', NOW)).toThrow('"0099-01-01" is before 1970-01-01, the earliest time taken; for everything, write 1970-01-01');
  });
});

import { describe, expect, it } from 'vitest';
import { parseInstant } from './instant.js';

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
});

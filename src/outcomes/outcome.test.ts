import { afterEach, describe, expect, it } from 'vitest';
import { outcomeView, parseOutcome } from './outcome.js';

const NOW = Date.UTC(2026, 11, 3, 12);
const tsOf = (ts: unknown) => parseOutcome({ kind: 'pr_merged', user: 'alice', ts }, NOW).ts;
const zone = process.env.TZ;

afterEach(() => {
  if (zone === undefined) delete process.env.TZ;
  else process.env.TZ = zone;
});

describe('outcome times', () => {
  it('reads a time without an offset as UTC, whatever the time zone of whoever parses it', () => {
    for (const tz of ['America/New_York', 'Asia/Kolkata', 'UTC']) {
      process.env.TZ = tz;
      expect(tsOf('2026-11-20T10:00:00')).toBe(Date.UTC(2026, 10, 20, 10));
      expect(tsOf('2026-11-20T10:00')).toBe(Date.UTC(2026, 10, 20, 10));
      expect(tsOf('2026-11-20')).toBe(Date.UTC(2026, 10, 20));
    }
    expect(tsOf('2026-11-20T10:00:00.250+02:00')).toBe(Date.UTC(2026, 10, 20, 8, 0, 0, 250));
    expect(tsOf('2026-11-20T10:00:00Z')).toBe(Date.UTC(2026, 10, 20, 10));
  });

  it('takes ms since the epoch as a number or as digits (the CLI passes text), as its message offers', () => {
    expect(tsOf(1_764_777_600_000)).toBe(1_764_777_600_000);
    expect(tsOf('1764777600000')).toBe(1_764_777_600_000);
    expect(tsOf(undefined)).toBe(NOW);
  });

  it('refuses a day or time that does not exist, rather than rolling it into the next month', () => {
    for (const bad of ['2026-02-30', '2026-02-29T10:00:00Z', '2026-04-31', '2026-13-01', '2026-11-20T24:00:00Z', '2026-11-20T10:60Z', '2026-11-20T10:00+25:00', 'yesterday', '1.5', -1]) {
      expect(() => tsOf(bad), String(bad)).toThrow(/^ts: must be a date \(2026-11-20\), an ISO 8601 timestamp .* or ms since the epoch, and a day that exists$/);
    }
    expect(tsOf('2028-02-29')).toBe(Date.UTC(2028, 1, 29));
  });
});

describe('outcomeView', () => {
  it('lists an outcome stored with a time no date can hold (before times were bounded) with ts null, rather than failing the whole list', () => {
    const o = { ...parseOutcome({ kind: 'pr_merged', user: 'ann' }, Date.UTC(2026, 10, 20)), ts: 9_000_000_000_000_000 };
    expect(outcomeView(o)).toMatchObject({ kind: 'pr_merged', ts: null, created_at: '2026-11-20T00:00:00.000Z' });
  });
});

describe('outcome names', () => {
  it('refuses control characters in a session, user or tag value (a NUL cannot be stored), and takes any other text', () => {
    for (const bad of [{ user: 'a\u0000b' }, { session: 'x\u0007' }, { tag: 'workflow=a\u0000' }]) {
      expect(() => parseOutcome({ kind: 'pr_merged', ...bad }, NOW)).toThrow(/control characters|name=value/);
    }
    expect(parseOutcome({ kind: 'pr_merged', user: 'zoë@example.com', tag: 'ticket=PROJ-12' }, NOW)).toMatchObject({ user: 'zoë@example.com', tag: { key: 'ticket', value: 'PROJ-12' } });
  });
});

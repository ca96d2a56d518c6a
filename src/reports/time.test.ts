import { describe, expect, it } from 'vitest';
import { parseWindow } from '../cli/context.js';
import { UsageError } from '../cli/output.js';
import { window } from '../server/admin.js';
import { parseReportWindow, parseTime } from './time.js';

const now = Date.UTC(2026, 11, 6, 12);
const days = Math.floor(now / 86_400_000);

describe('the earliest time a bound takes, 1970-01-01', () => {
  it('refuses a date before 1970 as such, years 1 to 99 included (they are dates, not "not a time")', () => {
    for (const early of ['0001-01-01', '0099-01-01', '0099-12-31T23:59:59Z', '1969-12-31T23:59:59.999Z', '1900-01-01']) {
      expect(() => parseTime(early, now), early).toThrow(new RangeError(`"${early}" is before 1970-01-01, the earliest time taken; for everything, write 1970-01-01`));
    }
    expect(parseTime('1970-01-01', now)).toBe(0);
    expect(parseTime('1970-01-01T01:00:00+01:00', now)).toBe(0);
    // Not a date at all is still said so.
    expect(() => parseTime('0099-02-29', now)).toThrow(/"0099-02-29" is not a time/);
  });

  it('refuses a span reaching before 1970, naming the longest one that does not', () => {
    const message = (text: string) => `"${text}" reaches back before 1970-01-01, the earliest time taken: at most ${days}d back from now; for everything, write 1970-01-01`;
    for (const span of ['99999999d', `${days + 1}d`, '99999999999999999999999w', `${days * 24 + 24}h`]) expect(() => parseTime(span, now), span).toThrow(new RangeError(message(span)));
    expect(parseTime(`${days}d`, now)).toBe(now - days * 86_400_000);
    expect(parseTime(`${days}d`, now)).toBeGreaterThanOrEqual(0);
  });

  it('is one rule for the CLI (exit 2, a usage error) and the admin API (a RangeError, its 400), with one message', () => {
    for (const since of ['99999999d', '0001-01-01']) {
      let api: unknown;
      let cli: unknown;
      try {
        window(new URLSearchParams({ since }));
      } catch (err) {
        api = err;
      }
      try {
        parseWindow({ since });
      } catch (err) {
        cli = err;
      }
      expect(api, since).toBeInstanceOf(RangeError);
      expect(cli, since).toBeInstanceOf(UsageError);
      expect((cli as Error).message.replace(/\d+d back/, 'Nd back')).toBe((api as Error).message.replace(/\d+d back/, 'Nd back'));
      expect((api as Error).message).toMatch(/before 1970-01-01, the earliest time taken/);
    }
  });
});

describe('an empty time bound', () => {
  it('is refused by the admin API as not a time, rather than read as left out (the whole ledger)', () => {
    const notATime = /^" ?" is not a time: use a span like 30m/;
    for (const q of ['since=', 'until=', 'since=7d&until=', 'since=%20']) expect(() => window(new URLSearchParams(q)), q).toThrow(notATime);
    expect(() => parseReportWindow('', null, now)).toThrow(notATime);
    expect(window(new URLSearchParams(''))).toEqual({ since: undefined, until: undefined });
    expect(parseReportWindow(null, undefined, now)).toEqual({ since: undefined, until: now });
  });
});


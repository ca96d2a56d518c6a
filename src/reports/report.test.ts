import { describe, expect, it } from 'vitest';
import { emptyTotals } from '../storage/ports.js';
import { concentration, orderRows, ratio, sortByCost, topShareOf } from './report.js';
import { parseReportWindow, parseTime, parseTimeWindow } from './time.js';

const group = (key: string, cost: bigint) => ({ keys: [key], ...emptyTotals(), requests: 1, costPicos: cost });

describe('reports', () => {
  it('parses spans, dates and timestamps, and rejects the rest', () => {
    const now = Date.UTC(2026, 10, 22, 12);
    expect(parseTime('7d', now)).toBe(now - 7 * 86_400_000);
    expect(parseTime('30m', now)).toBe(now - 1_800_000);
    expect(parseTime('2026-11-01', now)).toBe(Date.UTC(2026, 10, 1));
    expect(parseTime('2026-11-01T10:00:00Z', now)).toBe(Date.UTC(2026, 10, 1, 10));
    expect(() => parseTime('yesterday', now)).toThrow(/span like 30m/);
    // An admin API query with an unescaped + in its offset.
    expect(() => parseTime('2026-10-31T18:30:00 05:30', now)).toThrow('in a URL, write the offset’s + as %2B (2026-10-31T18:30:00%2B05:30)'.replace('’', "'"));
    // Date.parse rolls these into March; a window must not move without a word.
    expect(() => parseTime('2026-02-31', now)).toThrow(/"2026-02-31" is not a time/);
    expect(() => parseTime('2026-02-29T10:00:00Z', now)).toThrow(/is not a time/);
    expect(parseTime('2028-02-29', now)).toBe(Date.UTC(2028, 1, 29));
    // A span past the dates JavaScript can print made every JSON answer a stack trace.
    expect(() => parseTime('99999999999d', now)).toThrow(/"99999999999d" reaches back before 1970-01-01/);
    expect(() => parseTime('2026-02-30', now)).toThrow(/span like 30m/);
    const zone = process.env.TZ;
    try {
      process.env.TZ = 'America/Los_Angeles';
      expect(parseTime('2026-11-01T10:00', now)).toBe(Date.UTC(2026, 10, 1, 10));
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
  });

  it('takes a window with either bound or both, and refuses one that ends before it starts', () => {
    const now = Date.UTC(2026, 10, 22, 12);
    expect(parseTimeWindow('7d', undefined, now)).toEqual({ since: now - 7 * 86_400_000, until: undefined });
    expect(parseTimeWindow(null, '2026-11-01', now)).toEqual({ since: undefined, until: Date.UTC(2026, 10, 1) });
    expect(parseTimeWindow('2026-11-01', '1d', now)).toEqual({ since: Date.UTC(2026, 10, 1), until: now - 86_400_000 });
    expect(() => parseTimeWindow('2026-11-10', '2026-11-01', now)).toThrow('until (2026-11-01) must be after since (2026-11-10)');
    expect(() => parseTimeWindow('1d', '1d', now)).toThrow(/must be after/);
  });

  it('ends a report’s window now when it has no until, and refuses one that would start after it', () => {
    const now = Date.UTC(2026, 10, 22, 12);
    expect(parseReportWindow('7d', undefined, now)).toEqual({ since: now - 7 * 86_400_000, until: now });
    expect(parseReportWindow(null, null, now)).toEqual({ since: undefined, until: now });
    expect(parseReportWindow('2026-11-01', '2027-01-01', now)).toEqual({ since: Date.UTC(2026, 10, 1), until: Date.UTC(2027, 0, 1) });
    expect(() => parseReportWindow('2026-12-01', undefined, now)).toThrow('since (2026-12-01) must be before now, where the window ends when until is not given');
  });

  it('ranks a report\'s own groups as the store would, leaving out the groups without a value', () => {
    const groups = sortByCost([group('', 10_000n), ...Array.from({ length: 19 }, (_, i) => group(`s${i}`, 100n)), group('big', 8100n)]);
    expect(topShareOf(groups)).toEqual({ groups: 20, top: 2, topCostPicos: 8200n, costPicos: 10_000n });
    expect(topShareOf([])).toEqual({ groups: 0, top: 0, topCostPicos: 0n, costPicos: 0n });
  });

  it('turns the top 10% and all groups\' cost into the concentration line', () => {
    expect(concentration({ groups: 20, top: 2, topCostPicos: 8200n, costPicos: 10_000n })).toEqual({ top: 2, of: 20, share: 0.82 });
    expect(concentration({ groups: 0, top: 0, topCostPicos: 0n, costPicos: 0n })).toEqual({ top: 0, of: 0, share: null });
    expect(concentration({ groups: 1, top: 1, topCostPicos: 0n, costPicos: 0n })).toEqual({ top: 1, of: 1, share: null });
  });

  it('sorts by cost, then requests', () => {
    const rows = sortByCost([group('a', 1n), group('b', 5n), group('c', 5n)]);
    expect(rows.map((r) => r.keys[0])).toEqual(['b', 'c', 'a']);
  });

  it('orders a report with a day or hour in time order along it, the other dimensions most expensive first', () => {
    const row = (keys: string[], cost: bigint) => ({ keys, ...emptyTotals(), requests: 1, costPicos: cost });
    const days = orderRows([row(['2026-11-03'], 9n), row(['2026-11-01'], 1n), row(['2026-11-02'], 5n)], ['day']);
    expect(days.map((r) => r.keys[0])).toEqual(['2026-11-01', '2026-11-02', '2026-11-03']);
    // Team b spent 11 in all, team a 10: b's days first, each team's in time order.
    const rows = [row(['a', '2026-11-02'], 9n), row(['b', '2026-11-02'], 3n), row(['a', '2026-11-01'], 1n), row(['b', '2026-11-01'], 8n)];
    expect(orderRows([...rows], ['team', 'day']).map((r) => r.keys.join(' '))).toEqual(['b 2026-11-01', 'b 2026-11-02', 'a 2026-11-01', 'a 2026-11-02']);
    // Each day's teams, most expensive first.
    const byDay = rows.map((r) => ({ ...r, keys: [r.keys[1]!, r.keys[0]!] }));
    expect(orderRows(byDay, ['day', 'team']).map((r) => r.keys.join(' '))).toEqual(['2026-11-01 b', '2026-11-01 a', '2026-11-02 a', '2026-11-02 b']);
    // Without a time dimension: the most expensive groups first.
    expect(orderRows([...rows], ['team', 'user']).map((r) => r.keys.join(' '))).toEqual(['a 2026-11-02', 'b 2026-11-01', 'b 2026-11-02', 'a 2026-11-01']);
  });

  it('computes ratios of amounts too large for doubles', () => {
    expect(ratio(10n ** 30n, 4n * 10n ** 30n)).toBe(0.25);
  });
});

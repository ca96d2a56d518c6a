import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { apportion, displayUsd, formatUsd, perMillionToPicosPerToken, roundHalfUp, roundingNote, scaleByFraction, scaled, usd, usdColumn } from './money.js';

describe('money', () => {
  it('parses decimal prices exactly, however they were written', () => {
    expect(perMillionToPicosPerToken(1.25)).toBe(1_250_000n);
    expect(perMillionToPicosPerToken('0.075')).toBe(75_000n);
    expect(perMillionToPicosPerToken(0.01875)).toBe(18_750n);
    expect(perMillionToPicosPerToken('1e-3')).toBe(1_000n);
    expect(perMillionToPicosPerToken(600)).toBe(600_000_000n);
    expect(usd('12.345678901234')).toBe(12_345_678_901_234n);
    expect(scaled('-0.5', 2)).toBe(-50n);
  });

  it('refuses to silently round a price finer than a picodollar per token', () => {
    expect(() => perMillionToPicosPerToken('0.0000001')).toThrow(/decimal places/);
    expect(() => usd('abc')).toThrow(/not a decimal/);
    expect(() => usd(Number.NaN)).toThrow(/finite/);
  });

  it('formats exactly and trims trailing zeros', () => {
    expect(formatUsd(0n)).toBe('0');
    expect(formatUsd(2_025_000_000n)).toBe('0.002025');
    expect(formatUsd(18_750n)).toBe('0.00000001875');
    expect(formatUsd(5n * 4_000_000_000_000_000_000n)).toBe('20000000');
    expect(formatUsd(1_234_567n, 2)).toBe('0');
    expect(formatUsd(5_000_000_000n, 2)).toBe('0.01');
    expect(formatUsd(-1_500_000_000_000n)).toBe('-1.5');
  });

  it('rounds half away from zero', () => {
    expect(roundHalfUp(5n, 10n)).toBe(1n);
    expect(roundHalfUp(4n, 10n)).toBe(0n);
    expect(roundHalfUp(-5n, 10n)).toBe(-1n);
  });

  it('applies a fractional discount with one rounding', () => {
    expect(scaleByFraction(1_000_000n, '0.95')).toBe(950_000n);
    expect(scaleByFraction(3n, 0.5)).toBe(2n);
  });

  it('round-trips any amount through its decimal text', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }), (p) => {
        expect(usd(formatUsd(p))).toBe(p);
      }),
    );
  });
});

describe('usdColumn', () => {
  it('gives a column of amounts under a dollar one precision, two significant digits of its smallest', () => {
    const values = ['0.02175', '0.0067', '0.00185', '0.0579'].map(usd);
    const show = usdColumn([...values, 0n]);
    expect(values.map(show)).toEqual(['$0.0218', '$0.0067', '$0.0019', '$0.0579']);
    expect(show(0n)).toBe('$0.0000');
    expect(show(usd('-0.0067'))).toBe('-$0.0067');
    expect(usdColumn([usd('0.000000004')])(usd('0.000000004'))).toBe('<$0.000001');
    expect(usdColumn([usd('0.5'), usd('0.25')])(usd('0.5'))).toBe('$0.50');
  });

  it('puts a column in cents once one amount reaches a dollar, an amount under half a cent reading <$0.01, not $0.00 nor six decimals', () => {
    const show = usdColumn([usd('0.000325'), usd('425'), usd('0.02'), 0n]);
    expect([usd('0.000325'), usd('425'), usd('0.02'), 0n, usd('1234.5'), usd('0.005')].map(show)).toEqual(['<$0.01', '$425.00', '$0.02', '$0.00', '$1,234.50', '$0.01']);
    expect(show(usd('-0.0042'))).toBe('-<$0.01');
    expect(usdColumn([0n, 0n])(0n)).toBe('$0.00');
  });
});

describe('roundingNote', () => {
  it('says so when rows rounded one by one do not add up to their rounded total, with both sums', () => {
    const rows = ['1.004', '1.004', '1.004'].map(usd);
    expect(roundingNote(rows, usd('3.012'))).toBe('Each amount is rounded to the cent on its own: the lines as shown add up to $3.00, and the total, their exact sum rounded, is $3.01.');
    // Under a dollar, the column s own decimals: 0.000414 three times shows $0.00041 each, $0.00124 in all.
    expect(roundingNote(['0.000414', '0.000414', '0.000414'].map(usd), usd('0.001242'))).toContain('rounded to 5 decimals on its own: the lines as shown add up to $0.00123, and the total, their exact sum rounded, is $0.00124');
    // Lines beneath the last digit six decimals show: each reads <$0.000001, the total $0.000001.
    expect(roundingNote([usd('0.0000004'), usd('0.0000004'), usd('0.0000004')], usd('0.0000012'))).toContain('add up to $0.000000, and the total, their exact sum rounded, is $0.000001');
  });

  it('says nothing when the shown lines add up: exact amounts, all zero, or roundings that cancel', () => {
    expect(roundingNote(['1.25', '2.50'].map(usd), usd('3.75'))).toBeUndefined();
    expect(roundingNote([0n, 0n], 0n)).toBeUndefined();
    expect(roundingNote([], 0n)).toBeUndefined();
    expect(roundingNote(['1.004', '1.006'].map(usd), usd('2.01'))).toBeUndefined();
    expect(roundingNote([usd('-1.004'), usd('-1.004')], usd('-2.008'))).toBe('Each amount is rounded to the cent on its own: the lines as shown add up to -$2.00, and the total, their exact sum rounded, is -$2.01.');
  });

  it('rounds at the scale of the amounts the table shows beside them', () => {
    // Alone, 0.0041 twice is 4 decimals and adds up; beside $5 the column is in cents: <$0.01 twice over $0.01.
    expect(roundingNote(['0.0041', '0.0041'].map(usd), usd('0.0082'))).toBeUndefined();
    expect(roundingNote(['0.0041', '0.0041'].map(usd), usd('0.0082'), [usd('5'), usd('0.0041')])).toContain('add up to $0.00, and the total, their exact sum rounded, is $0.01');
  });
});

describe('displayUsd', () => {
  it('groups thousands and keeps cents, and sub-cent amounts stay visible', () => {
    expect(displayUsd(usd('1234567.5'))).toBe('$1,234,567.50');
    expect(displayUsd(0n)).toBe('$0.00');
    expect(displayUsd(usd('0.0042'))).toBe('$0.0042');
    expect(displayUsd(usd('-3'))).toBe('-$3.00');
  });
});

describe('apportion', () => {
  it('gives the units left to the largest remainders, so three equal thirds show as 33.4, 33.3 and 33.3', () => {
    expect(apportion([1n, 1n, 1n], 1000)).toEqual([334, 333, 333]);
    expect(apportion([usd('2'), usd('1'), usd('1'), usd('1'), usd('1'), usd('1'), usd('1')], 1000)).toEqual([250, 125, 125, 125, 125, 125, 125]);
    expect(apportion([usd('0.6665'), usd('0.3335')], 1000)).toEqual([667, 333]);
  });

  it('keeps a part of nothing at nothing and has no split where the parts do not add up to something', () => {
    expect(apportion([0n, 5n], 1000)).toEqual([0, 1000]);
    expect(apportion([0n, 0n], 1000)).toBeUndefined();
    expect(apportion([5n, -1n], 1000)).toBeUndefined();
  });

  it('always adds up to the units, each share within one unit of its exact proportion', () => {
    fc.assert(
      fc.property(fc.array(fc.bigInt({ min: 0n, max: 10n ** 18n }), { minLength: 1, maxLength: 30 }), fc.integer({ min: 1, max: 100_000 }), (parts, units) => {
        const shares = apportion(parts, units);
        const total = parts.reduce((a, p) => a + p, 0n);
        if (total === 0n) {
          expect(shares).toBeUndefined();
          return;
        }
        expect(shares!.reduce((a, s) => a + s, 0)).toBe(units);
        shares!.forEach((s, i) => {
          const exact = Number(parts[i]!) * units / Number(total);
          expect(Math.abs(s - exact)).toBeLessThan(1 + 1e-6);
        });
      }),
    );
  });
});

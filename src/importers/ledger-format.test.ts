import { describe, expect, it } from 'vitest';
import { toJsonLine } from '../reports/export.js';
import { sampleRow } from '../storage/testing/rows.js';
import { parseLedgerLine } from './ledger-format.js';

/** The line as Python's json.dumps writes it by default: a space after each colon and comma. */
const spaced = (line: string) => line.replace(/("(?:[^"\\]|\\.)*")|([:,])/g, (m, str: string | undefined) => (str ? m : m + ' '));

describe('parseLedgerLine', () => {
  it('reads a line with spaces around its colons, the cost still exact', () => {
    const row = sampleRow({ costPicos: 123_456_789_012_345n, routeRule: 'r', routeMode: 'shadow', routeSavingPicos: -7n });
    const line = spaced(toJsonLine(row).trimEnd());
    expect(line).toContain('"cost_usd": 123.456789012345');
    expect(parseLedgerLine(line)).toMatchObject({ costPicos: 123_456_789_012_345n, routeSavingPicos: -7n });
    expect(parseLedgerLine(line.replace('"cost_usd": ', '"cost_usd" :\t'))).toMatchObject({ costPicos: 123_456_789_012_345n });
  });

  it('reads a first line that starts with a byte-order mark', () => {
    expect(parseLedgerLine('\uFEFF' + toJsonLine(sampleRow({ id: 'bom', costPicos: 5n })))).toMatchObject({ id: 'bom', costPicos: 5n });
  });

  it('refuses a time on a day that does not exist, and reads one without an offset as UTC', () => {
    const line = toJsonLine(sampleRow({ id: 'd', ts: Date.UTC(2026, 1, 28, 10) }));
    expect(() => parseLedgerLine(line.replace('2026-02-28T10:00:00.000Z', '2026-02-31T10:00:00.000Z'))).toThrow(/day that exists/);
    expect(parseLedgerLine(line.replace('2026-02-28T10:00:00.000Z', '2026-02-28T10:00:00'))).toMatchObject({ ts: Date.UTC(2026, 1, 28, 10) });
  });
});

describe('parseLedgerLine, money', () => {
  it('refuses a negative cost, and reads a negative routing saving', () => {
    const line = toJsonLine(sampleRow({ id: 'neg', costPicos: 5n, routeRule: 'r', routeMode: 'enforce', routeSavingPicos: -3n }));
    expect(() => parseLedgerLine(line.replace('"cost_usd":0.000000000005', '"cost_usd":-0.000000000001'))).toThrow(/cost_usd: -0.000000000001 is negative/);
    expect(() => parseLedgerLine(line.replace('"cost_usd":0.000000000005', '"cost_usd":"-1"'))).toThrow(/negative/);
    expect(parseLedgerLine(line)).toMatchObject({ costPicos: 5n, routeSavingPicos: -3n });
  });
});

import { describe, expect, it } from 'vitest';
import type { LedgerRow } from '../core/ledger-row.js';
import { sampleRow } from '../storage/testing/rows.js';
import { focusRecords } from './charges.js';
import { FOCUS_COLUMNS } from './columns.js';
import { focusContext } from './context.js';
import { focusCsvLine } from './csv.js';

const config = { providers: [], pricing: { discounts: {}, overrides: [], fastMode: [] } };
const column = (name: string) => FOCUS_COLUMNS.findIndex((c) => c.name === name);

/** A CSV line's fields as written, quotes kept: split at the commas outside quotes. */
function fields(line: string): string[] {
  const out = [''];
  let quoted = false;
  for (const ch of line.trimEnd()) {
    if (ch === '"') quoted = !quoted;
    if (ch === ',' && !quoted) out.push('');
    else out[out.length - 1] += ch;
  }
  return out;
}

describe('FOCUS CSV', () => {
  it('writes a model name a spreadsheet would run as a formula as text, and a negative cost as a number', async () => {
    const row: LedgerRow = { ...sampleRow({ provider: 'openai', model: '=HYPERLINK("http://x")', inputTokens: 10, cacheReadTokens: 0, outputTokens: 0, reasoningTokens: 0 }), costPicos: -500_000_000_000n };
    const rec = (await focusRecords((async function* () { yield await Promise.resolve(row); })(), focusContext(config)).next()).value!;
    const cells = fields(focusCsvLine(rec));
    expect(cells[column('x_Model')]).toBe(`"'=HYPERLINK(""http://x"")"`);
    expect(cells[column('ChargeDescription')]).toBe(`"'=HYPERLINK(""http://x"") input tokens via openai"`);
    expect(cells[column('BilledCost')]).toBe('-0.5');
    expect(cells[column('ChargePeriodStart')]).toBe('2026-11-20T12:00:00Z');
  });
});

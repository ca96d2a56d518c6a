import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { describe, expect, it } from 'vitest';
import type { Config } from '../config/index.js';
import type { LedgerRow } from '../core/ledger-row.js';
import { type Picos, usd } from '../core/money.js';
import { createPricer } from '../pricing/index.js';
import { openSqlite } from '../storage/sqlite/sqlite-storage.js';
import { sampleRow } from '../storage/testing/rows.js';
import { parseCsv } from '../../test/support/csv.js';
import { focusRecords } from './charges.js';
import { FOCUS_COLUMNS } from './columns.js';
import { focusContext } from './context.js';
import { writeFocusCsv } from './csv.js';
import { writeFocusParquet } from './parquet.js';

const config: Pick<Config, 'providers' | 'pricing'> = {
  providers: [
    { name: 'anthropic', dialect: 'anthropic', baseUrl: 'https://api.anthropic.com', apiKey: undefined, models: undefined, headers: {}, catalog: undefined },
    { name: 'openai', dialect: 'openai', baseUrl: 'https://api.openai.com', apiKey: undefined, models: undefined, headers: {}, catalog: undefined },
    { name: 'local', dialect: 'openai', baseUrl: 'http://127.0.0.1:8000', apiKey: undefined, models: undefined, headers: {}, catalog: undefined },
  ],
  pricing: { discounts: { anthropic: '0.1' }, overrides: [], fastMode: [] },
};
const CATALOG: Record<string, string | undefined> = { anthropic: 'anthropic', openai: 'openai', local: undefined };
const price = createPricer({ discounts: config.pricing.discounts });

/** A row priced as the gateway prices it (discount included). */
function row(o: Partial<LedgerRow>): LedgerRow {
  const r = sampleRow({ cacheWriteTokens: 0, cacheWrite1hTokens: 0, reasoningTokens: 0, tags: {}, ...o });
  const p = price({ provider: r.provider, catalogProvider: CATALOG[r.provider], model: r.model, usage: r, at: new Date(r.ts) });
  return { ...r, costPicos: p.costPicos, unpriced: p.unpriced };
}

const H = Date.UTC(2026, 9, 5, 10);
const ROWS = [
  row({ id: 'a1', ts: H + 5 * 60_000, provider: 'anthropic', model: 'claude-sonnet-4-5', inputTokens: 68_000, cacheReadTokens: 50_000, cacheWriteTokens: 8_000, cacheWrite1hTokens: 3_000, outputTokens: 2_000, reasoningTokens: 500, user: 'alice', team: 'platform', keyId: 'key_1', sessionId: 's1', client: 'claude-code', tags: { workflow: 'review', user: 'spoofed' } }),
  row({ id: 'a2', ts: H + 40 * 60_000, provider: 'anthropic', model: 'claude-sonnet-4-5', inputTokens: 1_000, cacheReadTokens: 0, outputTokens: 7, reasoningTokens: 0, user: 'alice', team: 'platform', keyId: 'key_1', sessionId: 's1', client: 'claude-code', tags: { workflow: 'review', user: 'spoofed' } }),
  row({ id: 'o1', ts: H + 10 * 60_000, provider: 'openai', model: 'gpt-5', inputTokens: 3_333, cacheReadTokens: 1_111, outputTokens: 777, reasoningTokens: 333, user: 'bob', team: null, project: null, keyId: null, sessionId: null, client: 'openai-sdk' }),
  row({ id: 'u1', ts: H + 80 * 60_000, provider: 'local', model: 'qwen-local', inputTokens: 500, cacheReadTokens: 0, outputTokens: 50, user: 'carol', team: 'data', pool: 'data-pool' }),
  row({ id: 'z1', ts: H + 90 * 60_000, provider: '', model: 'gpt-5', inputTokens: 0, cacheReadTokens: 0, outputTokens: 0, outcome: 'rejected', status: 402 }),
  row({ id: 'n1', ts: Date.UTC(2026, 10, 1, 0, 30), provider: 'openai', model: 'gpt-5', inputTokens: 10, cacheReadTokens: 0, outputTokens: 10, team: 'platform' }),
];

const ALLOWED: Record<string, (string | null)[]> = {
  BillingCurrency: ['USD'],
  ChargeCategory: ['Usage', 'Purchase', 'Tax', 'Credit', 'Adjustment'],
  ChargeClass: [null, 'Correction'],
  ChargeFrequency: [null, 'One-Time', 'Recurring', 'Usage-Based'],
  PricingCategory: [null, 'Standard', 'Dynamic', 'Committed', 'Other'],
  ServiceCategory: ['AI and Machine Learning'],
};
const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const DECIMAL = /^-?\d+(\.\d+)?$/;


async function* scanAll(): AsyncIterable<LedgerRow> {
  const s = openSqlite(':memory:');
  await s.ledger.insert(ROWS);
  yield* s.ledger.scan({});
  await s.close();
}

/** Checks one FOCUS row (column name → text or null) against the spec's column rules. */
function checkRow(r: Record<string, string | null>): void {
  for (const c of FOCUS_COLUMNS) {
    expect(c.name in r, c.name).toBe(true);
    const v = r[c.name]!;
    if (!c.nullable) expect(v, `${c.name} must not be null`).not.toBeNull();
    if (v === null) continue;
    expect(v, `${c.name}: null, never an empty string`).not.toBe('');
    if (c.type === 'datetime') expect(v).toMatch(DATETIME);
    if (c.type === 'decimal' || c.type === 'quantity') expect(v, c.name).toMatch(DECIMAL);
    if (ALLOWED[c.name]) expect(ALLOWED[c.name]).toContain(v);
  }
  const tags = JSON.parse(r.Tags!) as unknown;
  expect(typeof tags === 'object' && tags !== null && !Array.isArray(tags)).toBe(true);
  for (const value of Object.values(tags as object)) expect(typeof value).toBe('string');
  // ConsumedQuantity and ConsumedUnit go together, as do PricingQuantity and PricingUnit; this export prices per unit consumed.
  expect(r.ConsumedQuantity === null).toBe(r.ConsumedUnit === null);
  expect(r.PricingQuantity === null).toBe(r.PricingUnit === null);
  expect(r.ConsumedQuantity).toBe(r.PricingQuantity);
  expect(['Tokens', 'Requests']).toContain(r.ConsumedUnit);
  expect(r.ChargeCategory).toBe('Usage');
  expect(Date.parse(r.ChargePeriodEnd!)).toBeGreaterThan(Date.parse(r.ChargePeriodStart!));
  expect(Date.parse(r.BillingPeriodStart!)).toBeLessThanOrEqual(Date.parse(r.ChargePeriodStart!));
  expect(Date.parse(r.BillingPeriodEnd!)).toBeGreaterThanOrEqual(Date.parse(r.ChargePeriodEnd!));
  expect(r.EffectiveCost).toBe(r.BilledCost);
  expect(r.ContractedCost).toBe(r.BilledCost);
  expect(usd(r.ListCost!) >= usd(r.BilledCost!)).toBe(true);
  expect(r.SkuPriceId).toBe(`${r.SkuId}:${r.x_TokenClass}`);
}

const ledgerTotal = ROWS.reduce((s, r) => s + (r.costPicos ?? 0n), 0n);
// List: each row re-priced by the catalog alone at its date (no discount); unpriced rows at their (zero) cost.
const atList = createPricer();
const listTotal = ROWS.reduce((s, r) => s + (r.costPicos === null || r.unpriced ? (r.costPicos ?? 0n) : atList({ provider: r.provider, catalogProvider: CATALOG[r.provider], model: r.model, usage: r, at: new Date(r.ts) }).costPicos!), 0n);

describe('FOCUS 1.2 export', () => {
  it('CSV: every column per the spec rules, token classes as SKU prices, costs summing exactly to the ledger', async () => {
    let text = '';
    const n = await writeFocusCsv(focusRecords(scanAll(), focusContext(config)), (t) => void (text += t));
    const [head, ...lines] = parseCsv(text);
    // Every FOCUS column, mandatory ones included; custom ones prefixed x_ and after the FOCUS ones.
    expect(head).toEqual(FOCUS_COLUMNS.map((c) => c.name));
    for (const c of FOCUS_COLUMNS.filter((x) => x.level === 'Mandatory')) expect(head).toContain(c.name);
    const firstCustom = head!.findIndex((h) => h.startsWith('x_'));
    expect(head!.slice(firstCustom).every((h) => h.startsWith('x_'))).toBe(true);
    expect(lines).toHaveLength(n);
    expect(n).toBe(12);
    expect(ledgerTotal > usd('0.05')).toBe(true);
    const rows = lines.map((l) => Object.fromEntries(head!.map((h, i) => [h, l[i] === '' ? null : l[i]!])));
    rows.forEach(checkRow);

    expect(rows.reduce((s, r) => s + usd(r.BilledCost!), 0n)).toBe(ledgerTotal);
    expect(rows.reduce((s, r) => s + usd(r.ListCost!), 0n)).toBe(listTotal);

    // a1 and a2 share an hour and attribution: one row per token class, quantities summed.
    const sonnet = rows.filter((r) => r.x_Model === 'claude-sonnet-4-5');
    expect(sonnet.map((r) => [r.x_TokenClass, r.ConsumedQuantity])).toEqual([
      ['cache_read', '50000'],
      ['cache_write_1h', '3000'],
      ['cache_write_5m', '5000'],
      ['input', '11000'],
      ['output', '2007'],
    ]);
    const out = sonnet.find((r) => r.x_TokenClass === 'output')!;
    expect(out).toMatchObject({ ProviderName: 'Anthropic', PublisherName: 'Anthropic', InvoiceIssuerName: 'Anthropic', ServiceName: 'Claude API', ServiceSubcategory: 'Generative AI', SkuId: 'anthropic:claude-sonnet-4-5', SkuPriceId: 'anthropic:claude-sonnet-4-5:output', ResourceId: 'key_1', ResourceType: 'API Key', SubAccountId: 'platform', x_ReasoningTokens: '500', x_RequestCount: '2', ChargePeriodStart: '2026-10-05T10:00:00Z', ChargePeriodEnd: '2026-10-05T11:00:00Z', BillingPeriodStart: '2026-10-01T00:00:00Z', BillingPeriodEnd: '2026-11-01T00:00:00Z' });
    // Sonnet 4.5 output is $15/M: 2,007 tokens list at $0.030105, billed 10% less.
    expect(out.ListCost).toBe('0.030105');
    expect(out.BilledCost).toBe('0.0270945');
    // The request tags as sent, a user tag named user included; the attribution under tollgate/.
    expect(JSON.parse(out.Tags!)).toEqual({ user: 'spoofed', workflow: 'review', 'tollgate/user': 'alice', 'tollgate/team': 'platform', 'tollgate/project': 'tollgate', 'tollgate/session': 's1', 'tollgate/client': 'claude-code' });
    expect(sonnet.find((r) => r.x_TokenClass === 'cache_read')).toMatchObject({ x_CacheReadTokens: '50000', SkuMeter: 'Cache Read Tokens' });

    // No key, no team: those columns are null, not empty strings.
    const gpt = rows.find((r) => r.x_Model === 'gpt-5' && r.x_TokenClass === 'output' && r.ChargePeriodStart === '2026-10-05T10:00:00Z')!;
    expect(gpt).toMatchObject({ ResourceId: null, ResourceType: null, SubAccountId: null, ProviderName: 'OpenAI', ServiceName: 'OpenAI API', ListCost: gpt.BilledCost });
    // An unpriced model is there with its tokens at zero cost and flagged.
    expect(rows.filter((r) => r.x_Model === 'qwen-local').map((r) => [r.x_TokenClass, r.BilledCost, r.x_UnpricedRequests, r.x_Pool])).toEqual([
      ['input', '0', '1', 'data-pool'],
      ['output', '0', '1', 'data-pool'],
    ]);
    // A refused request with no tokens and no cost has no charge; November's row bills in November.
    expect(rows.filter((r) => r.ChargePeriodStart === '2026-10-05T11:00:00Z' && r.x_Model === 'gpt-5')).toEqual([]);
    expect(rows.find((r) => r.ChargePeriodStart === '2026-11-01T00:00:00Z')).toMatchObject({ BillingPeriodStart: '2026-11-01T00:00:00Z', BillingPeriodEnd: '2026-12-01T00:00:00Z' });
  });

  it('Parquet: read back with a reader library, the same rows, typed columns and exact decimals', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'tollgate-focus-')), 'focus.parquet');
    const n = await writeFocusParquet(focusRecords(scanAll(), focusContext(config)), file);
    let csv = '';
    await writeFocusCsv(focusRecords(scanAll(), focusContext(config)), (t) => void (csv += t));
    const [head, ...lines] = parseCsv(csv);

    const buffer = await asyncBufferFromFile(file);
    const metadata = await parquetMetadataAsync(buffer);
    expect(Number(metadata.num_rows)).toBe(n);
    expect(metadata.key_value_metadata).toContainEqual({ key: 'focus_version', value: '1.2' });
    const schema = new Map(metadata.schema.slice(1).map((e) => [e.name, e]));
    expect([...schema.keys()]).toEqual(FOCUS_COLUMNS.map((c) => c.name));
    for (const c of FOCUS_COLUMNS) {
      const e = schema.get(c.name)!;
      expect(e.repetition_type, c.name).toBe(c.nullable ? 'OPTIONAL' : 'REQUIRED');
      if (c.type === 'decimal') expect(e).toMatchObject({ converted_type: 'DECIMAL', precision: 38, scale: 12 });
      if (c.type === 'datetime') expect(e).toMatchObject({ type: 'INT64', converted_type: 'TIMESTAMP_MILLIS' });
    }

    // Converted as a reader does by default: datetimes, strings, numbers.
    const objects = (await parquetReadObjects({ file: buffer })) as Record<string, unknown>[];
    expect(objects).toHaveLength(lines.length);
    const asText = (v: unknown): string | null => (v === null || v === undefined ? null : v instanceof Date ? v.toISOString().replace('.000Z', 'Z') : typeof v === 'bigint' || typeof v === 'number' ? String(v) : (v as string));
    objects.forEach((o, i) => {
      const r = Object.fromEntries(FOCUS_COLUMNS.map((c) => [c.name, c.type === 'decimal' ? lines[i]![head!.indexOf(c.name)]! : asText(o[c.name])]));
      checkRow(r);
      for (const c of FOCUS_COLUMNS.filter((x) => x.type !== 'decimal')) expect(r[c.name] ?? '', c.name).toBe(lines[i]![head!.indexOf(c.name)]);
    });

    // Raw decimals (the reader's conversion would go through a double): exact picodollars.
    const raw = { ...metadata, schema: metadata.schema.map((e) => (e.converted_type === 'DECIMAL' && e.scale === 12 ? { ...e, converted_type: undefined, logical_type: undefined } : e)) };
    const rawRows = (await parquetReadObjects({ file: buffer, metadata: raw, columns: ['BilledCost', 'ListCost'] })) as { BilledCost: Uint8Array; ListCost: Uint8Array }[];
    const picos = (b: Uint8Array): Picos => b.reduce((s, byte) => s * 256n + BigInt(byte), 0n);
    expect(rawRows.reduce((s, r) => s + picos(r.BilledCost), 0n)).toBe(ledgerTotal);
    expect(rawRows.reduce((s, r) => s + picos(r.ListCost), 0n)).toBe(listTotal);
    expect(rawRows.map((r) => picos(r.BilledCost))).toEqual(lines.map((l) => usd(l[head!.indexOf('BilledCost')]!)));
  });
  it('refuses, naming it, a row dated beyond what a date can hold (it threw Invalid time value)', async () => {
    const rows = (async function* (): AsyncIterable<LedgerRow> {
      yield await Promise.resolve(sampleRow({ id: 'far', ts: 1e20 }));
    })();
    await expect(writeFocusCsv(focusRecords(rows, focusContext(config)), () => undefined)).rejects.toThrow('ledger row far is dated 100000000000000000000 ms since the epoch, which no date can hold, so it has no FOCUS charge period');
  });
});

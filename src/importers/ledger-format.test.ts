import { describe, expect, it } from 'vitest';
import { toJsonLine } from '../reports/export.js';
import { sampleRow } from '../storage/testing/rows.js';
import { TooEarlyError, parseLedgerLine } from './ledger-format.js';

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

  it('refuses a time before 1970 as such (a load skips and counts it), and takes 1970-01-01 itself', () => {
    const line = toJsonLine(sampleRow({ id: 'e', ts: Date.UTC(2026, 1, 28, 10) }));
    for (const early of ['1969-12-31T23:59:59.999Z', '0000-01-01T00:00:00Z', '1900-01-01T00:00:00+01:00', '1970-01-01T00:30:00+01:00']) {
      const refused = () => parseLedgerLine(line.replace('2026-02-28T10:00:00.000Z', early));
      expect(refused).toThrow(TooEarlyError);
      expect(refused).toThrow(`ts ${early} is before 1970-01-01, the earliest time the ledger holds`);
    }
    expect(parseLedgerLine(line.replace('2026-02-28T10:00:00.000Z', '1970-01-01T00:00:00.000Z'))).toMatchObject({ ts: 0 });
    // A time that is no time is not taken for an early one: it stops a load as before.
    expect(() => parseLedgerLine(line.replace('2026-02-28T10:00:00.000Z', '-000001-01-01T00:00:00.000Z'))).not.toThrow(TooEarlyError);
  });
});

describe('parseLedgerLine, service tier', () => {
  // A line as the release before service_tier wrote it: its last column response_id.
  const OLD =
    '{"id":"old-1","ts":"2026-11-20T12:00:00.000Z","api":"openai.chat","provider":"openai","model":"gpt-5","model_requested":"gpt-5","key_id":"key_1","user":"alice","team":"platform","project":"tollgate",' +
    '"session_id":"s1","client":"openai-sdk","tags":{},"stream":false,"status":200,"outcome":"ok","error_type":null,"input_tokens":1000,"cache_read_tokens":200,"cache_write_tokens":0,"cache_write_1h_tokens":0,' +
    '"output_tokens":100,"reasoning_tokens":10,"tool_calls":0,"latency_ms":120,"ttft_ms":null,"cost_usd":0.002025,"usage_source":"final","unpriced":false,"attempts":1,"pool":null,"route_rule":null,' +
    '"route_mode":null,"route_saving_usd":null,"upstream_request_id":"req_x","source":"gateway","response_id":"chatcmpl-1"}';

  it('reads an export written before the column as rows at the standard tier', () => {
    const row = parseLedgerLine(OLD);
    expect(row).toEqual(sampleRow({ id: 'old-1', responseId: 'chatcmpl-1' }));
    expect(row.serviceTier).toBeUndefined();
  });

  it('reads the tier back, and refuses one that is not text naming the column', () => {
    expect(parseLedgerLine(OLD.slice(0, -1) + ',"service_tier":"batch+us"}').serviceTier).toBe('batch+us');
    expect(parseLedgerLine(OLD.slice(0, -1) + ',"service_tier":null}').serviceTier).toBeUndefined();
    expect(() => parseLedgerLine(OLD.slice(0, -1) + ',"service_tier":2}')).toThrow(/service_tier must be a string/);
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

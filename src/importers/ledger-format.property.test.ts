import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LedgerRow } from '../core/ledger-row.js';
import { toJsonLine } from '../reports/export.js';
import { ledgerRow as row } from '../storage/testing/row-arbitrary.js';
import { parseLedgerLine } from './ledger-format.js';

// `tollgate export` then `tollgate import --format ledger` is the backfill and the move between
// SQLite and Postgres: any row the ledger can hold must come back the same, cost to the picodollar,
// whatever its strings hold. And any line edited by hand reads as a row or is refused naming what
// is wrong, never with another error.

/** Throws (not a RangeError) unless every field has the type and range a stored row must. */
function wellFormed(r: LedgerRow): void {
  const fail = (what: string) => {
    throw new TypeError(`accepted a row whose ${what}`);
  };
  for (const k of ['inputTokens', 'cacheReadTokens', 'cacheWriteTokens', 'cacheWrite1hTokens', 'outputTokens', 'reasoningTokens', 'toolCalls', 'latencyMs', 'status', 'attempts', 'ts'] as const) {
    if (!Number.isSafeInteger(r[k]) || r[k] < 0) fail(`${k} is ${String(r[k])}`);
  }
  if (r.ttftMs !== null && (!Number.isSafeInteger(r.ttftMs) || r.ttftMs < 0)) fail(`ttftMs is ${String(r.ttftMs)}`);
  for (const k of ['id', 'provider', 'model', 'modelRequested', 'source'] as const) if (typeof r[k] !== 'string') fail(`${k} is not text`);
  for (const k of ['keyId', 'user', 'team', 'project', 'sessionId', 'client', 'errorType', 'pool', 'upstreamRequestId', 'routeRule'] as const) {
    if (r[k] !== null && typeof r[k] !== 'string') fail(`${k} is neither text nor null`);
  }
  if (typeof r.stream !== 'boolean' || typeof r.unpriced !== 'boolean') fail('flags are not booleans');
  if (r.costPicos !== null && (typeof r.costPicos !== 'bigint' || r.costPicos < 0n)) fail(`cost is ${String(r.costPicos)}`);
  if (!Object.values(r.tags).every((v) => typeof v === 'string')) fail('tags are not text');
}

describe('the export line format', () => {
  it('reads back every row it writes, exactly', () => {
    fc.assert(
      fc.property(row, (r) => {
        const line = toJsonLine(r);
        const back = parseLedgerLine(line);
        expect(back).toEqual(r);
        expect(toJsonLine(back)).toBe(line);
      }),
      { seed: 20261205, numRuns: 500 },
    );
  });

  it('reads a line edited by hand, or refuses it saying what is wrong', () => {
    const odd = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom('1e400', '-0.000000000001', '0.0000000000001', '9223372036.854775808', '2026-02-31T00:00:00Z', 'NaN', '', 'x'));
    fc.assert(
      fc.property(row, fc.nat(), odd, fc.boolean(), (r, which, value, drop) => {
        const o = JSON.parse(toJsonLine(r)) as Record<string, unknown>;
        const keys = Object.keys(o);
        const key = keys[which % keys.length]!;
        if (drop) delete o[key];
        else o[key] = value;
        try {
          wellFormed(parseLedgerLine(JSON.stringify(o)));
        } catch (err) {
          expect(err).toBeInstanceOf(RangeError);
          expect((err as Error).message.length).toBeGreaterThan(5);
        }
      }),
      { seed: 20261205, numRuns: 500 },
    );
  });
});

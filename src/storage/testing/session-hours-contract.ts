import { expect, it } from 'vitest';
import type { SessionHour, Storage } from '../ports.js';
import { HOUR_MS } from '../schema.js';
import { sampleRow } from './rows.js';

const MIN = 60_000;
const COST = 2_025_000_000n; // sampleRow's

/** Sorted as a test compares them. */
export function sortedHours(hours: SessionHour[]): SessionHour[] {
  return [...hours].sort((a, b) => a.hour - b.hour || (a.sessionId + a.user < b.sessionId + b.user ? -1 : 1));
}

/**
 * The hourly session rollup's span (schema version 26) and the session-hours read from it, the
 * same on every adapter. Part of storageContract.
 */
export function sessionHoursContract(open: () => Promise<Storage>): void {
  it('keeps each session-hour’s first and last request start over batches written out of order, summed per user and key', async () => {
    const s = await open();
    const h = Date.UTC(2026, 10, 20, 9);
    const row = (id: string, ts: number, o: Parameters<typeof sampleRow>[0] = {}) => sampleRow({ id, ts, ...o });
    // Two batches into the same session-hour, each out of order; one row in another model (another rollup row of the hour).
    await s.ledger.insert([row('a', h + 20 * MIN), row('b', h + 10 * MIN), row('c', h + 65 * MIN)]);
    await s.ledger.insert([row('d', h + 40 * MIN), row('d2', h + 12 * MIN), row('e', h + 25 * MIN, { model: 'gpt-5-mini' }), row('f', h + 30 * MIN, { user: 'bob', keyId: 'key_2' }), row('g', h + 5 * MIN, { sessionId: null })]);
    const want: SessionHour[] = [
      { hour: h, sessionId: 's1', user: 'alice', keyId: 'key_1', costPicos: 5n * COST, inputTokens: 5000, outputTokens: 500, firstTs: h + 10 * MIN, lastTs: h + 40 * MIN },
      { hour: h, sessionId: 's1', user: 'bob', keyId: 'key_2', costPicos: COST, inputTokens: 1000, outputTokens: 100, firstTs: h + 30 * MIN, lastTs: h + 30 * MIN },
      { hour: h + HOUR_MS, sessionId: 's1', user: 'alice', keyId: 'key_1', costPicos: COST, inputTokens: 1000, outputTokens: 100, firstTs: h + 65 * MIN, lastTs: h + 65 * MIN },
    ];
    expect(sortedHours(await s.ledger.sessionHours({ since: h, until: h + 2 * HOUR_MS }))).toEqual(want);
    expect(sortedHours(await s.ledger.sessionHours({ since: h + HOUR_MS, until: h + 2 * HOUR_MS }))).toEqual([want[2]]);
    // A third batch inside the span changes it not.
    await s.ledger.insert([row('x', h + 35 * MIN)]);
    const inside = { ...want[0]!, costPicos: 6n * COST, inputTokens: 6000, outputTokens: 600 };
    expect(sortedHours(await s.ledger.sessionHours({ since: h, until: h + HOUR_MS }))[0]).toEqual(inside);
    // A later one widens it on both sides, in a third rollup row of the hour.
    await s.ledger.insert([row('y', h + 1 * MIN, { client: 'curl' }), row('z', h + 59 * MIN, { client: 'curl' })]);
    const [first] = sortedHours(await s.ledger.sessionHours({ since: h, until: h + HOUR_MS }));
    expect(first).toEqual({ ...inside, costPicos: 8n * COST, inputTokens: 8000, outputTokens: 800, firstTs: h + 1 * MIN, lastTs: h + 59 * MIN });
    // A row taken away leaves the span as it was (a minimum cannot be taken back); its cost goes.
    await s.ledger.upsert([], ['y']);
    const [after] = sortedHours(await s.ledger.sessionHours({ since: h, until: h + HOUR_MS }));
    expect(after).toEqual({ ...first, costPicos: 7n * COST, inputTokens: 7000, outputTokens: 700 });
    await s.close();
  });
}

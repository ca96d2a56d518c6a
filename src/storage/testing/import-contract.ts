import { expect, it } from 'vitest';
import type { Storage } from '../ports.js';
import { RESPONSE_WINDOW_MS } from '../cross-source.js';
import { sampleRow } from './rows.js';

const at = (h: number, m = 0) => Date.UTC(2026, 10, 20, h, m);

/** Importers' part of the storage contract: cross-source de-duplication and replaceable rows. */
export function importContract(open: () => Promise<Storage>): void {
  it('counts a request seen by the gateway and by a log import once, whichever came first', async () => {
    const s = await open();
    const gateway = sampleRow({ id: 'gw-1', upstreamRequestId: 'req_A', source: 'gateway', costPicos: 10n });
    const imported = sampleRow({ id: 'cc-1', upstreamRequestId: 'req_A', source: 'claude-code-log', costPicos: 11n, outputTokens: 999 });
    expect(await s.ledger.insert([gateway])).toBe(1);
    expect(await s.ledger.insert([imported])).toBe(0);
    expect(await s.ledger.upsert([imported])).toBe(0);
    expect(await s.ledger.get('cc-1')).toBeUndefined();

    const later = sampleRow({ id: 'gw-2', upstreamRequestId: 'req_B', source: 'gateway', costPicos: 20n });
    expect(await s.ledger.upsert([sampleRow({ id: 'cc-2', upstreamRequestId: 'req_B', source: 'claude-code-log', costPicos: 21n })])).toBe(1);
    expect(await s.ledger.insert([later])).toBe(0);

    // Within one batch, and never for rows without a request id or from the same source.
    const batch = [
      sampleRow({ id: 'x-1', upstreamRequestId: 'req_C', source: 'codex-log', costPicos: 1n }),
      sampleRow({ id: 'x-2', upstreamRequestId: 'req_C', source: 'gateway', costPicos: 1n }),
      sampleRow({ id: 'x-3', upstreamRequestId: 'req_C', source: 'codex-log', costPicos: 1n }),
      // (Token counts of their own: a row with no id that matches a gateway row of its session by its counts is that call.)
      sampleRow({ id: 'x-4', upstreamRequestId: null, source: 'codex-log', costPicos: 1n, inputTokens: 4321 }),
      sampleRow({ id: 'x-5', upstreamRequestId: null, source: 'gateway', costPicos: 1n }),
    ];
    expect(await s.ledger.insert(batch)).toBe(4);
    expect(await s.ledger.get('x-2')).toBeUndefined();

    const [total] = await s.ledger.aggregate({ by: [] });
    expect(total).toMatchObject({ requests: 6, costPicos: 10n + 21n + 4n });
    const bySource = await s.ledger.aggregate({ by: ['session'], since: at(11, 30), until: at(12, 30) });
    expect(bySource[0]).toMatchObject({ requests: 6, costPicos: 35n });
    await s.close();
  });

  it("matches a span or log row to the gateway's row of the same call by its response id, within the time window", async () => {
    const s = await open();
    const t = at(14);
    const row = (id: string, source: string, responseId: string | null, ts = t) => sampleRow({ id, ts, source, responseId, upstreamRequestId: null, costPicos: 10n });
    expect(await s.ledger.insert([row('gw-r1', 'gateway', 'chatcmpl-R1')])).toBe(1);
    expect((await s.ledger.get('gw-r1'))?.responseId).toBe('chatcmpl-R1');
    // Its span, started a little before the gateway saw the call; a log line written as a long answer ended.
    expect(await s.ledger.insert([row('span-r1', 'otel-genai', 'chatcmpl-R1', t - 300)])).toBe(0);
    expect(await s.ledger.upsert([row('cc-r1', 'claude-code-log', 'chatcmpl-R1', t + 5 * 60_000)])).toBe(0);
    // Another call, a row without a response id, and one beyond the window are recorded.
    expect(await s.ledger.insert([row('span-r9', 'otel-genai', 'chatcmpl-R9'), { ...row('span-none', 'otel-genai', null), inputTokens: 4321 }])).toBe(2);
    expect(await s.ledger.insert([row('span-late', 'otel-genai', 'chatcmpl-R1', t + RESPONSE_WINDOW_MS + 1)])).toBe(1);
    // The gateway's own inserts never look a response id up (its hot path): its row is kept, and the span
    // of the same id is taken out only because it is in the row's session with its counts (cross-source-replace.ts).
    expect(await s.ledger.insert([row('gw-r9', 'gateway', 'chatcmpl-R9')])).toBe(1);
    expect(await s.ledger.get('span-r9')).toBeUndefined();
    // Within one batch the gateway's row is the one kept, whatever the order.
    expect(await s.ledger.insert([row('span-r2', 'otel-genai', 'chatcmpl-R2'), row('gw-r2', 'gateway', 'chatcmpl-R2'), row('cc-r2', 'claude-code-log', 'chatcmpl-R2')])).toBe(1);
    expect(await s.ledger.get('gw-r2')).toBeDefined();
    expect(await s.ledger.get('span-r2')).toBeUndefined();
    const [total] = await s.ledger.aggregate({ by: [] });
    expect(total).toMatchObject({ requests: 5, costPicos: 50n });
    await s.close();
  });

  it('replaces a row whose usage grew, and removes rows, keeping every rollup exact', async () => {
    const s = await open();
    const partial = sampleRow({ id: 'msg-1', ts: at(9, 15), sessionId: 'sess', tags: { workflow: 'w' }, outputTokens: 1, costPicos: 100n, upstreamRequestId: 'req_1', source: 'claude-code-log' });
    const other = sampleRow({ id: 'msg-2', ts: at(9, 20), sessionId: 'sess', outputTokens: 5, costPicos: 7n, upstreamRequestId: 'req_2', source: 'claude-code-log' });
    expect(await s.ledger.upsert([partial, other])).toBe(2);
    expect(await s.ledger.upsert([partial])).toBe(0);
    const final = { ...partial, outputTokens: 500, costPicos: 9_000n };
    expect(await s.ledger.upsert([final])).toBe(1);
    expect(await s.ledger.get('msg-1')).toEqual(final);

    const check = async (requests: number, output: number, cost: bigint) => {
      for (const by of [[], ['session'], ['tag:workflow'], ['user', 'model']] as const) {
        const rows = await s.ledger.aggregate({ by: [...by] });
        const sum = rows.reduce((a, r) => ({ requests: a.requests + r.requests, output: a.output + r.outputTokens, cost: a.cost + r.costPicos }), { requests: 0, output: 0, cost: 0n });
        expect(sum, `by ${by.join(',')}`).toEqual({ requests, output, cost });
      }
      // A window whose edges cut the hour reads raw rows: they must agree with the rollups.
      const [edge] = await s.ledger.aggregate({ by: [], since: at(9, 10), until: at(9, 50) });
      expect({ requests: edge?.requests ?? 0, output: edge?.outputTokens ?? 0, cost: edge?.costPicos ?? 0n }).toEqual({ requests, output, cost });
    };
    await check(2, 505, 9_007n);

    expect(await s.ledger.upsert([], ['msg-2', 'missing'])).toBe(0);
    await check(1, 500, 9_000n);
    // Moving a record to a new id (remove the old, add the new) in one call.
    const moved = { ...final, id: 'msg-1b', upstreamRequestId: 'req_1b' };
    expect(await s.ledger.upsert([moved], ['msg-1'])).toBe(1);
    await check(1, 500, 9_000n);
    expect((await s.ledger.aggregate({ by: ['tag:workflow'] })).filter((r) => r.requests !== 0)).toMatchObject([{ keys: ['w'], requests: 1 }]);
    await s.close();
  });
}

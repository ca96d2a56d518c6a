import type { LedgerRow } from '../../core/ledger-row.js';
import { expect, it } from 'vitest';
import { PEER_WINDOW_MS, SESSIONLESS_WINDOW_MS, SESSION_WINDOW_MS } from '../cross-source.js';
import type { Storage } from '../ports.js';
import { sampleRow } from './rows.js';

const T = Date.UTC(2026, 10, 20, 12, 0, 0);

/** A request seen by two sources counts once, in every storage adapter (see storage/cross-source.ts). Call inside a describe(). */
export function crossSourceContract(open: () => Promise<Storage>): void {
  /** Runs `fn` on a fresh store, closed afterwards whatever happens. */
  const withStore = async (fn: (s: Storage) => Promise<void>) => {
    const s = await open();
    try {
      await fn(s);
    } finally {
      await s.close();
    }
  };
  const ids = async (s: Storage) => (await Promise.all(['gw', 'log', 'otel', 'span'].map((id) => s.ledger.get(id)))).filter((r) => r !== undefined).map((r) => r.id);

  it('drops another source\'s record of a gateway call in the same session, stamped within the window, on either side', async () => {
    await withStore(async (s) => {
      expect(await s.ledger.insert([sampleRow({ id: 'gw', ts: T, upstreamRequestId: 'req_1', sessionId: 'sess-a' })])).toBe(1);
      // A log line written as the long answer ended, and a telemetry event stamped at its start.
      expect(await s.ledger.insert([sampleRow({ id: 'log', ts: T + SESSION_WINDOW_MS, upstreamRequestId: 'req_1', sessionId: 'sess-a', source: 'claude-code-log' })])).toBe(0);
      expect(await s.ledger.insert([sampleRow({ id: 'otel', ts: T - 1000, upstreamRequestId: 'req_1', sessionId: 'sess-a', source: 'claude-code-otel' })])).toBe(0);
      expect(await ids(s)).toEqual(['gw']);
    });
  });

  it('takes an empty request id for no id: calls of several sources that carry one are all kept', async () => {
    await withStore(async (s) => {
      // Other sources' rows first, then a gateway row; stored, and then in one batch.
      expect(await s.ledger.insert([sampleRow({ id: 'log', ts: T, upstreamRequestId: '', sessionId: null, source: 'claude-code-log' })])).toBe(1);
      expect(await s.ledger.insert([sampleRow({ id: 'otel', ts: T, upstreamRequestId: '', sessionId: null, source: 'claude-code-otel' })])).toBe(1);
      expect(await s.ledger.insert([sampleRow({ id: 'gw', ts: T, upstreamRequestId: '', sessionId: null })])).toBe(1);
      expect(await s.ledger.insert([sampleRow({ id: 'span', ts: T, upstreamRequestId: '', sessionId: null, source: 'otel-genai', inputTokens: 7 })])).toBe(1);
      expect(await ids(s)).toEqual(['gw', 'log', 'otel', 'span']);
    });
  });

  it('keeps a record of the same id in another session, or stamped outside the window', async () => {
    for (const other of [
      sampleRow({ id: 'log', ts: T + SESSION_WINDOW_MS + 1, upstreamRequestId: 'req_1', sessionId: 'sess-a', source: 'claude-code-log' }),
      sampleRow({ id: 'otel', ts: T, upstreamRequestId: 'req_1', sessionId: 'sess-b', source: 'claude-code-otel' }),
    ]) {
      await withStore(async (s) => {
        await s.ledger.insert([sampleRow({ id: 'gw', ts: T, upstreamRequestId: 'req_1', sessionId: 'sess-a' })]);
        expect(await s.ledger.insert([other])).toBe(1);
      });
    }
  });

  it('drops a gateway row whose call another source recorded first, whatever its session or time', async () => {
    await withStore(async (s) => {
      await s.ledger.insert([sampleRow({ id: 'log', ts: T, upstreamRequestId: 'req_1', sessionId: 'sess-a', source: 'claude-code-log' })]);
      expect(await s.ledger.insert([sampleRow({ id: 'gw', ts: T + 40 * 86_400_000, upstreamRequestId: 'req_1', sessionId: null })])).toBe(0);
      // Between two other sources the id alone decides, too.
      expect(await s.ledger.insert([sampleRow({ id: 'otel', ts: T - 40 * 86_400_000, upstreamRequestId: 'req_1', sessionId: 'sess-z', source: 'claude-code-otel' })])).toBe(0);
      expect(await ids(s)).toEqual(['log']);
    });
  });

  it('matches a sessionless span to a sessionless gateway row within its narrower window', async () => {
    await withStore(async (s) => {
      const gateway = Array.from({ length: 50 }, (_, i) => sampleRow({ id: `g${i}`, ts: T + i * 60_000, upstreamRequestId: `req_${i}`, sessionId: null }));
      await s.ledger.insert([sampleRow({ id: 'gw', ts: T, upstreamRequestId: 'req_gw', sessionId: null }), ...gateway]);
      const spans = [
        sampleRow({ id: 'span', ts: T + SESSIONLESS_WINDOW_MS, upstreamRequestId: 'req_gw', sessionId: null, source: 'otel-genai' }),
        // Far apart in time, in one batch: each is read against the gateway rows around its own time.
        sampleRow({ id: 'span-late', ts: T + 49 * 60_000 + 5000, upstreamRequestId: 'req_49', sessionId: null, source: 'otel-genai' }),
        sampleRow({ id: 'span-far', ts: T + 10 * 60_000, upstreamRequestId: 'req_2', sessionId: null, source: 'otel-genai' }),
        // Read in the same range as the first span, but its gateway row (3 minutes later) is outside its own window.
        sampleRow({ id: 'span-near', ts: T, upstreamRequestId: 'req_3', sessionId: null, source: 'otel-genai' }),
      ];
      expect(await s.ledger.insert(spans)).toBe(2);
      expect((await s.ledger.get('span-far'))?.id).toBe('span-far');
      expect((await s.ledger.get('span-near'))?.id).toBe('span-near');
      expect(await ids(s)).toEqual(['gw']);
    });
  });

  it('counts a call twice in one batch once, whoever recorded it', async () => {
    await withStore(async (s) => {
      const batch = [sampleRow({ id: 'gw', upstreamRequestId: 'req_1', sessionId: null }), sampleRow({ id: 'log', ts: T + 90 * 86_400_000, upstreamRequestId: 'req_1', sessionId: 'x', source: 'claude-code-log' })];
      expect(await s.ledger.insert(batch)).toBe(1);
      expect(await s.ledger.upsert([sampleRow({ id: 'otel', upstreamRequestId: 'req_2', source: 'claude-code-otel' }), sampleRow({ id: 'span', upstreamRequestId: 'req_2', source: 'otel-genai' })])).toBe(1);
    });
  });

  it('matches a row with no provider id (a Codex rollout) to a gateway row of its session by its token counts', async () => {
    await withStore(async (s) => {
      const gw = (id: string, ts: number, input: number, output: number) => sampleRow({ id, ts, upstreamRequestId: `req_${id}`, responseId: `resp_${id}`, sessionId: 'cx-1', inputTokens: input, outputTokens: output, client: 'codex' });
      await s.ledger.insert([gw('g1', T, 5000, 120), gw('g2', T + 60_000, 5400, 80), gw('g3', T + 120_000, 7000, 10)]);
      const log = (id: string, o: Partial<LedgerRow>) => sampleRow({ id, upstreamRequestId: null, responseId: null, source: 'codex-log', client: 'codex', ...o });
      const batch = [
        // Stamped when the answer ended: the gateway's rows are stamped at arrival.
        log('c1', { ts: T + 30_000, sessionId: 'cx-1', inputTokens: 5000, outputTokens: 120 }),
        log('c2', { ts: T + SESSION_WINDOW_MS, sessionId: 'cx-1', inputTokens: 5400, outputTokens: 80 }),
        // Two events with one call's counts, one gateway row: one of them is another call.
        log('c3a', { ts: T + 121_000, sessionId: 'cx-1', inputTokens: 7000, outputTokens: 10 }),
        log('c3b', { ts: T + 122_000, sessionId: 'cx-1', inputTokens: 7000, outputTokens: 10 }),
        log('other-counts', { ts: T, sessionId: 'cx-1', inputTokens: 5001, outputTokens: 120 }),
        log('other-session', { ts: T, sessionId: 'cx-2', inputTokens: 5000, outputTokens: 120 }),
        log('too-late', { ts: T + 60_000 + SESSION_WINDOW_MS + 1, sessionId: 'cx-1', inputTokens: 5400, outputTokens: 80 }),
        log('no-session', { ts: T, sessionId: null, inputTokens: 5000, outputTokens: 120 }),
      ];
      expect(await s.ledger.insert(batch)).toBe(5);
      const kept = (await Promise.all(batch.map((r) => s.ledger.get(r.id)))).filter((r) => r !== undefined).map((r) => r.id);
      expect(kept).toEqual(['c3b', 'other-counts', 'other-session', 'too-late', 'no-session']);
    });
  });

  // Codex's rollout (`tollgate import`) and its telemetry record each call without an id: the same session, counts and moment.
  const codex = (id: string, source: 'codex-log' | 'codex-otel', o: Partial<LedgerRow> = {}) =>
    sampleRow({ id, ts: T, upstreamRequestId: null, responseId: null, source, client: 'codex', sessionId: 'cx-1', inputTokens: 1324, cacheReadTokens: 1024, outputTokens: 40, reasoningTokens: 16, ...o });
  const codexCalls = (source: 'codex-log' | 'codex-otel', at: number) => [
    codex(`${source}-1`, source, { ts: T + at }),
    codex(`${source}-2`, source, { ts: T + 60_000 + at, inputTokens: 2800, cacheReadTokens: 2048, outputTokens: 90, reasoningTokens: 32 }),
  ];
  const kept = async (s: Storage, rows: readonly LedgerRow[]) => (await Promise.all(rows.map((r) => s.ledger.get(r.id)))).filter((r) => r !== undefined).map((r) => r.id);

  it('counts a Codex call once when its telemetry is stored before its rollout is imported', async () => {
    await withStore(async (s) => {
      const otel = [...codexCalls('codex-otel', 0), codex('otel-other-thread', 'codex-otel', { sessionId: 'cx-sub' })];
      expect(await s.ledger.insert(otel)).toBe(3);
      const log = [
        // The rollout stamps its token count a few milliseconds after the event.
        ...codexCalls('codex-log', 8),
        // Two token counts with one call's counts, one event: one of them is another call.
        codex('log-twice', 'codex-log', { ts: T + 9 }),
        codex('log-other-cached', 'codex-log', { ts: T + 60_000, inputTokens: 2800, cacheReadTokens: 0, outputTokens: 90, reasoningTokens: 32 }),
        codex('log-other-session', 'codex-log', { sessionId: 'cx-2' }),
        codex('log-too-late', 'codex-log', { ts: T + PEER_WINDOW_MS + 1 }),
      ];
      expect(await s.ledger.upsert(log)).toBe(4);
      expect(await kept(s, log)).toEqual(['log-twice', 'log-other-cached', 'log-other-session', 'log-too-late']);
      // The same rollout imported again changes nothing, and matches none of its own rows.
      expect(await s.ledger.upsert(log)).toBe(0);
    });
  });

  it('counts a Codex call once when its rollout is imported before its telemetry arrives, or in the same batch', async () => {
    await withStore(async (s) => {
      expect(await s.ledger.upsert(codexCalls('codex-log', 0))).toBe(2);
      const otel = [...codexCalls('codex-otel', -5), codex('otel-sub', 'codex-otel', { sessionId: 'cx-sub' })];
      expect(await s.ledger.insert(otel)).toBe(1);
      expect(await kept(s, otel)).toEqual(['otel-sub']);
      // Both records of a call in one batch (a ledger export of both sources imported again): the first is kept.
      const both = [codex('b-log', 'codex-log', { sessionId: 'cx-3' }), codex('b-otel', 'codex-otel', { sessionId: 'cx-3', ts: T - 5 }), codex('b-otel-2', 'codex-otel', { sessionId: 'cx-3' })];
      expect(await s.ledger.upsert(both)).toBe(2);
      expect(await kept(s, both)).toEqual(['b-log', 'b-otel-2']);
    });
  });

  it('counts a Codex sub-agent call through the gateway once: its telemetry and rollout name its thread, the gateway row its parent session', async () => {
    await withStore(async (s) => {
      const tags = (agent: string) => ({ agent_id: agent, parent_agent_id: 'cx-1' });
      const gw = (id: string, o: Partial<LedgerRow>) => codex(id, 'codex-otel', { upstreamRequestId: `req_${id}`, responseId: `resp_${id}`, source: 'gateway', ...o });
      // The parent's own call and another sub-agent's, with the same counts: neither is the sub-agent's call.
      await s.ledger.insert([gw('g-parent', {}), gw('g-other', { tags: tags('cx-other') }), gw('g-sub', { ts: T + 1000, tags: tags('cx-sub') }), gw('g-sub-2', { ts: T + 60_000, inputTokens: 2800, outputTokens: 90, tags: tags('cx-sub') })]);
      const otel = [
        codex('sub-1', 'codex-otel', { sessionId: 'cx-sub', ts: T + 2000 }),
        // Two events with one call's counts, one gateway row: one of them is another call.
        codex('sub-1-again', 'codex-otel', { sessionId: 'cx-sub', ts: T + SESSION_WINDOW_MS }),
        codex('sub-other-counts', 'codex-otel', { sessionId: 'cx-sub', outputTokens: 41 }),
        codex('sub-too-late', 'codex-otel', { sessionId: 'cx-sub', ts: T + 60_000 + SESSION_WINDOW_MS + 1, inputTokens: 2800, outputTokens: 90 }),
        codex('thread-untagged', 'codex-otel', { sessionId: 'cx-lone' }),
      ];
      expect(await s.ledger.insert(otel)).toBe(4);
      expect(await kept(s, otel)).toEqual(['sub-1-again', 'sub-other-counts', 'sub-too-late', 'thread-untagged']);
      // The sub-agent's rollout without response ids, as Codex wrote it before 0.169: its second call matches the gateway row by the tag.
      const log = codex('sub-2-log', 'codex-log', { sessionId: 'cx-sub', ts: T + 60_010, inputTokens: 2800, outputTokens: 90 });
      expect(await s.ledger.upsert([log])).toBe(0);
      expect(await kept(s, [log])).toEqual([]);
    });
  });

  it('matches a Codex rollout row with a response id to the gateway row of that response, and to its telemetry by its counts', async () => {
    await withStore(async (s) => {
      await s.ledger.insert([codex('gw', 'codex-otel', { upstreamRequestId: 'req_1', responseId: 'resp_1', source: 'gateway', sessionId: 'cx-parent' }), codex('otel', 'codex-otel', { sessionId: 'cx-2', ts: T + 60_000 })]);
      const log = [codex('log', 'codex-log', { sessionId: 'cx-sub', responseId: 'resp_1' }), codex('log-2', 'codex-log', { sessionId: 'cx-2', ts: T + 60_005, responseId: 'resp_2' }), codex('log-3', 'codex-log', { sessionId: 'cx-2', ts: T + 61_000, responseId: 'resp_3', outputTokens: 7 })];
      expect(await s.ledger.upsert(log)).toBe(1);
      expect(await kept(s, log)).toEqual(['log-3']);
    });
  });

  // The other order: another source's id-less record stored first, the gateway's row of the call after it.
  const gwOf = (id: string, o: Partial<LedgerRow> = {}) => codex(id, 'codex-otel', { upstreamRequestId: `req_${id}`, responseId: `resp_${id}`, source: 'gateway', costPicos: 7_000n, ...o });
  const totals = async (s: Storage) => {
    for (const by of [[], ['session'], ['user', 'model']] as const) {
      const rows = await s.ledger.aggregate({ by: [...by] });
      const sum = rows.reduce((a, r) => ({ requests: a.requests + r.requests, input: a.input + r.inputTokens, cost: a.cost + r.costPicos }), { requests: 0, input: 0, cost: 0n });
      // A window whose edges cut the hour reads the raw rows: they must agree with the rollups.
      const [edge] = await s.ledger.aggregate({ by: [], since: T - 30 * 60_000, until: T + 30 * 60_000 });
      expect({ requests: edge?.requests ?? 0, input: edge?.inputTokens ?? 0, cost: edge?.costPicos ?? 0n }).toEqual(sum);
    }
    const [total] = await s.ledger.aggregate({ by: [] });
    return { requests: total?.requests ?? 0, input: total?.inputTokens ?? 0, cost: total?.costPicos ?? 0n };
  };
  const chargedPerRow = async (s: Storage) => {
    const by = new Map<string, bigint>();
    for (const c of await s.ledger.pendingCharges()) by.set(c.id, (by.get(c.id) ?? 0n) + c.costPicos);
    return Object.fromEntries(by);
  };

  it('keeps the gateway row of a Codex call whose telemetry or rollout row was stored first, the call counted once in every total', async () => {
    await withStore(async (s) => {
      expect(await s.ledger.insertCharged([codex('otel', 'codex-otel', { ts: T + 4000, costPicos: 5_000n })])).toBe(1);
      expect(await s.ledger.upsert([codex('log', 'codex-log', { ts: T + 4000, sessionId: 'cx-2', costPicos: 5_000n })], [], { charge: true })).toBe(1);
      expect(await totals(s)).toEqual({ requests: 2, input: 2 * 1324, cost: 10_000n });
      // The gateway's rows, written late: stamped at the calls' arrival, before the other records.
      expect(await s.ledger.insert([gwOf('gw', { ts: T }), gwOf('gw-2', { ts: T, sessionId: 'cx-2' })])).toBe(2);
      expect(await ids(s)).toEqual(['gw']);
      expect(await kept(s, [codex('log', 'codex-log'), codex('gw-2', 'codex-log')])).toEqual(['gw-2']);
      expect(await totals(s)).toEqual({ requests: 2, input: 2 * 1324, cost: 14_000n });
      // The spend the other rows queued for budgets is taken back; the gateway settled its own.
      expect(await chargedPerRow(s)).toEqual({ otel: 0n, log: 0n });
      // Either record arriving again is now a repeat of the gateway row.
      expect(await s.ledger.insert([codex('otel', 'codex-otel', { ts: T + 4000, costPicos: 5_000n })])).toBe(0);
      expect(await s.ledger.upsert([codex('log', 'codex-log', { ts: T + 4000, sessionId: 'cx-2', costPicos: 5_000n })])).toBe(0);
      expect(await totals(s)).toEqual({ requests: 2, input: 2 * 1324, cost: 14_000n });
    });
  });

  it('keeps the gateway row when a batch holds it and another source record of its call, in either order', async () => {
    await withStore(async (s) => {
      expect(await s.ledger.insert([codex('otel', 'codex-otel', { ts: T + 3000 }), gwOf('gw', { ts: T })])).toBe(1);
      expect(await s.ledger.upsert([gwOf('gw-2', { sessionId: 'cx-2' }), codex('log', 'codex-log', { sessionId: 'cx-2', ts: T + 3000 })])).toBe(1);
      expect(await kept(s, [codex('otel', 'codex-otel'), codex('gw', 'codex-otel'), codex('log', 'codex-log'), codex('gw-2', 'codex-log')])).toEqual(['gw', 'gw-2']);
      expect(await totals(s)).toEqual({ requests: 2, input: 2 * 1324, cost: 14_000n });
    });
  });

  it('keeps the gateway row of a Codex sub-agent call whose telemetry, naming the thread, was stored first', async () => {
    await withStore(async (s) => {
      await s.ledger.insert([codex('otel', 'codex-otel', { sessionId: 'cx-sub', ts: T + 2000 })]);
      expect(await s.ledger.insert([gwOf('gw', { tags: { agent_id: 'cx-sub', parent_agent_id: 'cx-1' } })])).toBe(1);
      expect(await ids(s)).toEqual(['gw']);
      expect(await totals(s)).toEqual({ requests: 1, input: 1324, cost: 7_000n });
    });
  });

  it('keeps the gateway row of a call whose rollout row, naming its response, was imported first; one naming another response is another call', async () => {
    await withStore(async (s) => {
      const log = [codex('log', 'codex-log', { ts: T + 3000, responseId: 'resp_gw' }), codex('log-2', 'codex-log', { ts: T + 3000, responseId: 'resp_x', sessionId: 'cx-sub' })];
      expect(await s.ledger.upsert(log)).toBe(2);
      expect(await s.ledger.insert([gwOf('gw'), gwOf('gw-2', { sessionId: 'cx-sub' })])).toBe(2);
      expect(await kept(s, [...log, codex('gw', 'codex-log')])).toEqual(['log-2', 'gw']);
      expect((await totals(s)).requests).toBe(3);
    });
  });

  it('keeps a stored record without a provider id that the later gateway row does not repeat: other counts, another session, more than 15 minutes apart', async () => {
    for (const other of [
      codex('otel', 'codex-otel', { outputTokens: 41 }),
      codex('otel', 'codex-otel', { inputTokens: 1325 }),
      codex('otel', 'codex-otel', { sessionId: 'cx-2' }),
      codex('otel', 'codex-otel', { ts: T + SESSION_WINDOW_MS + 1 }),
      codex('log', 'codex-log', { ts: T - SESSION_WINDOW_MS - 1 }),
      // A row matched by its response id is not matched by its counts.
      codex('span', 'codex-otel', { source: 'otel-genai', responseId: 'resp_other' }),
      // A sub-agent thread matches a gateway row by its agent_id tag only.
      codex('otel', 'codex-otel', { sessionId: 'cx-sub' }),
    ]) {
      await withStore(async (s) => {
        expect(await s.ledger.insertCharged([other])).toBe(1);
        expect(await s.ledger.insert([gwOf('gw')])).toBe(1);
        expect(await ids(s)).toEqual(['gw', other.id]);
        expect((await totals(s)).requests).toBe(2);
        expect(await chargedPerRow(s)).toEqual({ [other.id]: other.costPicos });
      });
    }
  });
}

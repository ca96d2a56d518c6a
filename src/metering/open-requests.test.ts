import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { LedgerRow } from '../core/ledger-row.js';
import { zeroUsage } from '../core/usage.js';
import { sampleRow } from '../storage/testing/rows.js';
import { type PriceFn, type RequestFacts, newFacts } from './build-row.js';
import { GATEWAY_CRASHED, OpenRequests, interruptedRow, recoverOpenRequests } from './open-requests.js';
import { decodeRow, encodeRow } from './row-codec.js';
import { recoverSpools } from './journal-files.js';

// A dollar per million input tokens, in picodollars a token.
const price: PriceFn = (r) => ({ costPicos: BigInt(r.usage.inputTokens) * 1_000_000n, unpriced: false });
const opened: OpenRequests[] = [];

function journal(dir: string, o: ConstructorParameters<typeof OpenRequests>[2] = {}): OpenRequests {
  const j = new OpenRequests(dir, price, { sweepMs: 60_000, minAgeMs: 1000, ...o });
  opened.push(j);
  return j;
}

const made = new Map<string, RequestFacts>();

/** A request's facts as the gateway has them once it went upstream, its input estimated at `estimate`. */
function facts(id: string, estimate?: number) {
  const f = newFacts(id, Date.now() - 1500, 'openai.chat');
  Object.assign(f, { provider: 'openai', modelRequested: 'gpt-4o', user: 'ana', team: 'web', stream: true, inputEstimate: () => estimate });
  made.set(id, f);
  return f;
}

/** The facts made for `id`. */
function req(id: string): RequestFacts {
  return made.get(id)!;
}

/** The rows in the one `open-` file of `dir` ('' when there is none). */
function onFile(dir: string): LedgerRow[] {
  const name = readdirSync(dir).find((n) => n.startsWith('open-'));
  if (name === undefined) return [];
  return readFileSync(join(dir, name), 'utf8').split('\n').filter(Boolean).map(decodeRow);
}

/** A store keeping the first row of each id, as SQLite and Postgres do. */
function store() {
  const rows = new Map<string, LedgerRow>();
  const insert = (batch: LedgerRow[]) => {
    let n = 0;
    for (const r of batch) if (!rows.has(r.id) && rows.set(r.id, r)) n++;
    return Promise.resolve(n);
  };
  return { rows, insert };
}

afterEach(() => {
  for (const j of opened.splice(0)) j.close();
});

describe('OpenRequests', () => {
  it('journals a request still open at a sweep as cut by a crash, its input estimated and priced; a closed one is not journaled', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-open-'));
    const j = journal(dir);
    j.add(facts('long', 1200));
    j.add(facts('short', 50));
    j.closed(req('short'));
    j.sweep();
    const rows = onFile(dir);
    expect(rows.map((r) => r.id)).toEqual(['long']);
    expect(rows[0]).toMatchObject({ outcome: 'truncated', errorType: GATEWAY_CRASHED, usageSource: 'estimated', inputTokens: 1200, outputTokens: 0, costPicos: 1_200_000_000n, user: 'ana', team: 'web', model: 'gpt-4o', unpriced: false });
    expect(rows[0]!.latencyMs).toBeGreaterThanOrEqual(1500);
  });

  it('leaves a request younger than a sweep for the next one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-open-'));
    const j = journal(dir);
    const young = facts('young', 1);
    young.ts = Date.now();
    j.add(young);
    j.sweep();
    expect(onFile(dir)).toEqual([]);
    young.ts -= 60_000;
    j.sweep();
    expect(onFile(dir).map((r) => r.id)).toEqual(['young']);
  });

  it('writes a journaled request again once its answer begins, and replay keeps that last row', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-open-'));
    const j = journal(dir);
    const f = facts('r1', 10);
    j.add(f);
    j.sweep();
    j.sweep();
    expect(onFile(dir)).toHaveLength(1);
    Object.assign(f, { status: 200, upstreamRequestId: 'req_abc' });
    j.sweep();
    expect(onFile(dir).map((r) => r.upstreamRequestId)).toEqual([null, 'req_abc']);
    const name = readdirSync(dir)[0]!;
    // As a dead process would leave it: pid 2^22+1 is above Linux's pid_max default.
    writeFileSync(join(dir, name.replace(/^open-\d+-/, 'open-4194305-')), readFileSync(join(dir, name)));
    const s = store();
    expect(await recoverOpenRequests(dir, s.insert)).toBe(1);
    expect(s.rows.get('r1')).toMatchObject({ status: 200, upstreamRequestId: 'req_abc' });
  });

  it('empties its file once nothing in it is open, after the rows recorded meanwhile are written', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-open-'));
    const calls: string[] = [];
    const j = journal(dir, { beforeDrop: () => calls.push(`drop with ${onFile(dir).length} on file`) });
    j.add(facts('a', 1));
    j.add(facts('b', 1));
    j.sweep();
    j.closed(req('a'));
    j.sweep();
    expect(onFile(dir).map((r) => r.id)).toEqual(['a', 'b']);
    expect(calls).toEqual([]);
    j.closed(req('b'));
    j.sweep();
    expect(calls).toEqual(['drop with 2 on file']);
    expect(onFile(dir)).toEqual([]);
    expect(readdirSync(dir)).toHaveLength(1);
  });

  it('compacts a file grown past its limit to the requests still open', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-open-'));
    const j = journal(dir, { compactBytes: 4000 });
    j.add(facts('stays', 1));
    for (let i = 0; i < 40; i++) {
      j.add(facts(`gone-${i}`, 1));
      j.sweep();
      j.closed(req(`gone-${i}`));
    }
    const ids = onFile(dir).map((r) => r.id);
    expect(ids).toContain('stays');
    expect(ids.length).toBeLessThan(15);
    expect(readdirSync(dir).filter((n) => n.startsWith('open-'))).toHaveLength(1);
  });

  it('deletes its file at close when nothing in it is open, and keeps it otherwise', () => {
    const clean = mkdtempSync(join(tmpdir(), 'tg-open-'));
    const a = new OpenRequests(clean, price, { sweepMs: 60_000, minAgeMs: 1000 });
    a.add(facts('x', 1));
    a.sweep();
    a.closed(req('x'));
    a.close();
    expect(readdirSync(clean)).toEqual([]);
    const cut = mkdtempSync(join(tmpdir(), 'tg-open-'));
    const b = new OpenRequests(cut, price, { sweepMs: 60_000, minAgeMs: 1000 });
    b.add(facts('y', 1));
    b.sweep();
    b.close();
    expect(readdirSync(cut)).toHaveLength(1);
  });

  it('closes without throwing when its file was deleted under it, and says so', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-open-'));
    const errors: unknown[] = [];
    const j = new OpenRequests(dir, price, { sweepMs: 60_000, minAgeMs: 1000, onError: (e) => errors.push(e) });
    j.add(facts('gone', 1));
    j.sweep();
    j.closed(req('gone'));
    rmSync(dir, { recursive: true, force: true });
    expect(() => j.close()).not.toThrow();
    expect(errors).toHaveLength(1);
  });

  it('reports a failed write and journals the request at the next sweep', () => {
    const parent = mkdtempSync(join(tmpdir(), 'tg-open-'));
    const dir = join(parent, 'spool');
    const errors: unknown[] = [];
    const j = journal(dir, { onError: (e) => errors.push(e) });
    j.add(facts('later', 1));
    j.sweep();
    expect(errors).toHaveLength(1);
    mkdirSync(dir);
    j.sweep();
    expect(onFile(dir).map((r) => r.id)).toEqual(['later']);
    rmSync(parent, { recursive: true, force: true });
  });

  it('moves to a new file in a folder made again when its folder is removed, with every request still open; says when writes work again', () => {
    const parent = mkdtempSync(join(tmpdir(), 'tg-open-'));
    const dir = join(parent, 'spool');
    let recovered = 0;
    const j = journal(dir, { onRecovered: () => recovered++ });
    j.add(facts('first', 1));
    mkdirSync(dir);
    j.sweep();
    rmSync(dir, { recursive: true, force: true });
    j.add(facts('second', 1));
    j.sweep();
    expect(onFile(dir).map((r) => r.id).sort()).toEqual(['first', 'second']);
    expect(recovered).toBe(0);
    // A write that fails, then one that works: said once.
    rmSync(dir, { recursive: true, force: true });
    writeFileSync(dir, 'not a folder');
    j.add(facts('third', 1));
    j.sweep();
    rmSync(dir);
    j.sweep();
    expect(recovered).toBe(1);
    expect(onFile(dir).map((r) => r.id).sort()).toEqual(['first', 'second', 'third']);
    rmSync(parent, { recursive: true, force: true });
  });

  it('touches its file at a sweep with nothing new, so that its time says the process was still serving', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-open-'));
    const j = journal(dir);
    j.add(facts('held', 1));
    j.sweep();
    const path = join(dir, readdirSync(dir)[0]!);
    utimesSync(path, 1000, 1000);
    j.sweep();
    expect(statSync(path).mtimeMs).toBeGreaterThan(Date.now() - 60_000);
  });

  it('journals on its own timer', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-open-'));
    const j = journal(dir, { sweepMs: 10 });
    j.add(facts('timed', 1));
    await new Promise((r) => setTimeout(r, 50));
    expect(onFile(dir).map((r) => r.id)).toEqual(['timed']);
  });
});

describe('a request whose answer reports usage as it goes', () => {
  it('is journaled with that usage, exact input and cache reads, rather than an estimate, and again as it grows', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-open-'));
    const j = journal(dir, { refreshMs: 0 });
    const f = facts('anthropic-stream', 12);
    let usage = { ...zeroUsage(), inputTokens: 5000, cacheReadTokens: 4000, outputTokens: 1 };
    f.liveTap = { usageSoFar: () => usage };
    j.add(f);
    j.sweep();
    j.sweep();
    usage = { ...usage, outputTokens: 300 };
    j.sweep();
    const rows = onFile(dir);
    expect(rows.map((r) => [r.inputTokens, r.cacheReadTokens, r.outputTokens, r.usageSource])).toEqual([
      [5000, 4000, 1, 'partial'],
      [5000, 4000, 300, 'partial'],
    ]);
  });

  it('is written again for its growth at most every refresh interval', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-open-'));
    const j = journal(dir, { refreshMs: 60_000 });
    const f = facts('slow-refresh', 12);
    let out = 1;
    f.liveTap = { usageSoFar: () => ({ ...zeroUsage(), inputTokens: 50, outputTokens: out }) };
    j.add(f);
    j.sweep();
    out = 99;
    j.sweep();
    expect(onFile(dir).map((r) => r.outputTokens)).toEqual([1]);
  });
});

describe('a request whose answer streams text before its usage', () => {
  it('is journaled with the output its text comes to so far, again as it grows, beside its estimated input', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-open-'));
    const j = journal(dir, { refreshMs: 0 });
    const f = facts('chat-stream', 12);
    let streamed: number | undefined;
    f.liveTap = { outputSoFar: () => streamed };
    j.add(f);
    j.sweep();
    streamed = 40;
    j.sweep();
    streamed = 250;
    j.sweep();
    expect(onFile(dir).map((r) => [r.inputTokens, r.outputTokens, r.usageSource])).toEqual([
      [12, 0, 'estimated'],
      [12, 40, 'estimated'],
      [12, 250, 'estimated'],
    ]);
  });

  it('bills the streamed text where the count reported at the start says less, and the count where it says more', () => {
    const f = facts('anthropic-cut', 12);
    let out = 1;
    f.liveTap = { usageSoFar: () => ({ ...zeroUsage(), inputTokens: 5000, outputTokens: out }), outputSoFar: () => 180 };
    expect(interruptedRow(f, price)).toMatchObject({ inputTokens: 5000, outputTokens: 180, usageSource: 'partial' });
    out = 400;
    expect(interruptedRow(f, price)).toMatchObject({ inputTokens: 5000, outputTokens: 400, usageSource: 'partial' });
  });
});

describe('interruptedRow', () => {
  it('is unpriced rather than free when neither usage nor an estimate says what was billed', () => {
    const row = interruptedRow(facts('rt'), price);
    expect(row).toMatchObject({ costPicos: null, unpriced: true, inputTokens: 0, usageSource: 'none', outcome: 'truncated' });
  });

  it('leaves the live request as it found it', () => {
    const f = facts('live', 321);
    const before = { ...f, usage: { ...f.usage } };
    interruptedRow(f, price);
    expect(f).toEqual(before);
  });

  it('keeps usage already known (an earlier attempt, a partial count) instead of estimating', () => {
    const f = facts('known', 5);
    f.usage = { ...f.usage, inputTokens: 700, outputTokens: 30 };
    expect(interruptedRow(f, price)).toMatchObject({ inputTokens: 700, outputTokens: 30, usageSource: 'partial' });
  });
});

describe('recoverOpenRequests', () => {
  it('records only the requests whose own row is not stored, after the spools, and removes the dead files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-open-'));
    const own = sampleRow({ id: 'finished', outcome: 'ok' });
    writeFileSync(join(dir, 'spool-4194305-1-a.jsonl'), encodeRow(own));
    const standIns = ['finished', 'cut'].map((id) => interruptedRow(facts(id, 40), price));
    writeFileSync(join(dir, 'open-4194305-1-b.jsonl'), standIns.map(encodeRow).join('') + '{"id":"torn');
    const s = store();
    expect((await recoverSpools(dir, s.insert)).rows).toBe(1);
    expect(await recoverOpenRequests(dir, s.insert)).toBe(1);
    expect(s.rows.get('finished')?.outcome).toBe('ok');
    expect(s.rows.get('cut')).toMatchObject({ outcome: 'truncated', errorType: GATEWAY_CRASHED, inputTokens: 40 });
    expect(readdirSync(dir)).toEqual([]);
  });

  it('gives each request the latency until its file was last written or touched, when the process was still serving it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-open-'));
    const f = facts('long-stream', 40);
    const path = join(dir, 'open-4194305-1-c.jsonl');
    writeFileSync(path, encodeRow(interruptedRow(f, price)));
    const until = (f.ts + 65_000) / 1000;
    utimesSync(path, until, until);
    const s = store();
    expect(await recoverOpenRequests(dir, s.insert)).toBe(1);
    expect(s.rows.get('long-stream')?.latencyMs).toBe(65_000);
  });

  it('leaves the journal of a live process alone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-open-'));
    const j = journal(dir);
    j.add(facts('live', 1));
    j.sweep();
    const s = store();
    expect(await recoverOpenRequests(dir, s.insert)).toBe(0);
    expect(readdirSync(dir)).toHaveLength(1);
  });
});

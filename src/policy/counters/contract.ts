import fc from 'fast-check';
import { expect, it } from 'vitest';
import { usd } from '../../core/money.js';
import { BEYOND_ANY_LIMIT } from '../estimate.js';
import { MAX_AMOUNT_USD } from '../rule-input.js';
import type { ConcurrencyLine, Counters, RateLine, ReservePlan, SpendGroup, SpendLine } from './port.js';

const T0 = Date.UTC(2026, 11, 2, 9, 0, 0);
const DAY = 86_400_000;
const LEASE = 60_000;

/**
 * What every counter store must do, run against the in-process store and Redis alike.
 * `make` returns a store and the key prefix it was built with; each test uses keys of its own.
 */
export function countersContract(make: () => Promise<{ counters: Counters; prefix: string }>): void {
  let seq = 0;
  const setup = async () => {
    const { counters, prefix } = await make();
    const p = `${prefix}${++seq}:${Math.random().toString(36).slice(2, 8)}:`;
    const line = (ref: string, limit: string, buckets = 1): SpendLine => ({
      ref,
      marker: `${p}bm:${ref}`,
      buckets: Array.from({ length: buckets }, (_, i) => `${p}b:${ref}:${i}`),
      limit: usd(limit),
      ttlMs: 2 * DAY,
    });
    const init = (...lines: SpendLine[]) => counters.initialize(lines.map((l) => ({ marker: l.marker, ttlMs: l.ttlMs, bucketTtlMs: l.ttlMs, amounts: [] })));
    // Request ids are unique in real use; tests share one store, so ids get the test's prefix.
    const plan = (id: string, amount: string, groups: SpendGroup[], rates: (RateLine | ConcurrencyLine)[] = [], now = T0): ReservePlan => ({ id: p + id, now, leaseMs: LEASE, amount: usd(amount), groups, rates });
    const settle = async (id: string, actual: bigint, tokens: number, now: number, split?: ReadonlyMap<string, bigint>) => (await counters.settle([{ id: p + id, actual, tokens, split }], now))[0];
    const settleAll = (items: { id: string; actual: bigint; tokens: number; split?: ReadonlyMap<string, bigint> }[], now: number) => counters.settle(items.map((s) => ({ ...s, id: p + s.id })), now);
    const rate = (ref: string, kind: 'rpm' | 'tpm', limit: number, amount: number, now = T0): RateLine => {
      const minute = Math.floor(now / 60_000) * 60_000;
      return { ref, kind, key: `${p}rl:${ref}:${minute}`, prevKey: `${p}rl:${ref}:${minute - 60_000}`, prevWeight: 1 - (now - minute) / 60_000, limit, amount, ttlMs: 180_000 };
    };
    const renew = (ids: string[], now: number, until: number) => counters.renew(ids.map((id) => p + id), now, until);
    return { counters, line, init, plan, settle, settleAll, renew, rate, conc: (ref: string, limit: number): ConcurrencyLine => ({ ref, kind: 'concurrency', key: `${p}rl:${ref}:conc`, limit }) };
  };

  it('asks for uninitialised counters, then initialises each marker only once', async () => {
    const { counters, line, plan } = await setup();
    const a = line('a', '10');
    const b = line('b', '10');
    expect(await counters.reserve(plan('r1', '1', [{ lines: [a, b], pool: null }]))).toEqual({ ok: false, reason: 'uninitialized', markers: [a.marker, b.marker] });
    const seed = (amount: string) => ({ marker: a.marker, ttlMs: DAY, bucketTtlMs: DAY, amounts: [{ bucket: a.buckets[0]!, amount: usd(amount) }] });
    await counters.initialize([seed('4'), { marker: b.marker, ttlMs: DAY, bucketTtlMs: DAY, amounts: [] }]);
    await counters.initialize([seed('5')]);
    expect(await counters.read([a, b])).toEqual([
      { spent: usd('4'), held: 0n, initialized: true },
      { spent: 0n, held: 0n, initialized: true },
    ]);
    await counters.close();
  });

  it('reserves on every line or none, and settles to the actual cost exactly once', async () => {
    const { counters, settle, line, init, plan } = await setup();
    const day = line('day', '5');
    const month = line('month', '2.5');
    await init(day, month);
    const ok = await counters.reserve(plan('r1', '2', [{ lines: [day, month], pool: null }]));
    expect(ok).toEqual({ ok: true, pooled: [false], levels: [usd('2'), usd('2')] });
    expect(await counters.reserve(plan('r2', '1', [{ lines: [day, month], pool: null }]))).toEqual({ ok: false, reason: 'spend', ref: 'month', level: usd('2'), limit: usd('2.5') });
    expect(await counters.read([day])).toEqual([{ spent: 0n, held: usd('2'), initialized: true }]);

    const settled = await settle('r1', usd('0.000000123456'), 10, T0 + 1000);
    expect(settled).toEqual({ levels: [{ ref: 'day', level: usd('0.000000123456'), spent: usd('0.000000123456') }, { ref: 'month', level: usd('0.000000123456'), spent: usd('0.000000123456') }] });
    expect(await settle('r1', usd('1'), 10, T0 + 2000)).toBeUndefined();
    expect(await counters.read([day, month])).toEqual([
      { spent: usd('0.000000123456'), held: 0n, initialized: true },
      { spent: usd('0.000000123456'), held: 0n, initialized: true },
    ]);
    await counters.close();
  });

  it('lists the reservations not yet settled, the soonest lease end first', async () => {
    const { counters, settle, line, init, plan } = await setup();
    const day = line('day', '10');
    await init(day);
    const plans = [plan('a', '1', [{ lines: [day], pool: null }], [], T0), plan('b', '1', [{ lines: [day], pool: null }], [], T0 + 1000), plan('c', '1', [{ lines: [day], pool: null }], [], T0 + 2000)];
    for (const p of plans) expect(await counters.reserve(p)).toMatchObject({ ok: true });
    expect(await settle('b', usd('0.5'), 10, T0 + 3000)).toBeDefined();
    // The store is shared with other tests: only this test's ids count.
    const ours = new Set(plans.map((p) => p.id));
    expect((await counters.openReservations(100_000)).filter((id) => ours.has(id))).toEqual([plans[0]!.id, plans[2]!.id]);
    expect(await counters.openReservations(0)).toEqual([]);
    await counters.close();
  });

  it('reports each line’s spent apart from what other reservations still hold', async () => {
    const { counters, settle, line, init, plan } = await setup();
    const day = line('day', '5');
    await init(day);
    expect(await counters.reserve(plan('big', '2', [{ lines: [day], pool: null }]))).toMatchObject({ ok: true });
    expect(await counters.reserve(plan('small', '0.5', [{ lines: [day], pool: null }]))).toMatchObject({ ok: true });
    expect(await settle('small', usd('0.1'), 10, T0 + 1000)).toEqual({ levels: [{ ref: 'day', level: usd('2.1'), spent: usd('0.1') }] });
    await counters.close();
  });

  it('settles each line to its own share when given a split, releasing every hold once', async () => {
    const { counters, settle, line, init, plan } = await setup();
    const team = line('team', '10');
    const dear = line('dear', '10');
    const other = line('other', '10');
    await init(team, dear, other);
    expect(await counters.reserve(plan('s1', '2', [{ lines: [team, dear, other], pool: null }]))).toMatchObject({ ok: true });
    const split = new Map([
      ['dear', usd('0.25')],
      ['other', 0n],
    ]);
    const out = await settle('s1', usd('1.5'), 0, T0 + 1000, split);
    expect(out).toEqual({ levels: [{ ref: 'team', level: usd('1.5'), spent: usd('1.5') }, { ref: 'dear', level: usd('0.25'), spent: usd('0.25') }, { ref: 'other', level: 0n, spent: 0n }] });
    expect(await settle('s1', usd('1.5'), 0, T0 + 2000, split)).toBeUndefined();
    expect(await counters.read([team, dear, other])).toEqual([
      { spent: usd('1.5'), held: 0n, initialized: true },
      { spent: usd('0.25'), held: 0n, initialized: true },
      { spent: 0n, held: 0n, initialized: true },
    ]);
    await counters.close();
  });

  it('settles several reservations in one call, each to its own actual and split, and skips those already settled', async () => {
    const { counters, settle, settleAll, line, init, plan, rate, conc } = await setup();
    const team = line('team', '10');
    const big = line('big', '10');
    const mini = line('mini', '10');
    await init(team, big, mini);
    const c = conc('mini-conc', 1);
    // A request admitted on team and big, then a fallback reservation on mini with its own rate limits.
    expect(await counters.reserve(plan('q', '2', [{ lines: [team, big], pool: null }], [rate('tpm', 'tpm', 1000, 300)]))).toMatchObject({ ok: true });
    expect(await counters.reserve(plan('q~1', '1', [{ lines: [mini], pool: null }], [rate('mini-tpm', 'tpm', 1000, 300), c]))).toMatchObject({ ok: true });
    expect(await counters.reserve(plan('other', '0.5', [{ lines: [team], pool: null }]))).toMatchObject({ ok: true });
    expect(await settle('other', usd('0.5'), 0, T0)).toBeDefined();

    const out = await settleAll(
      [
        { id: 'q', actual: usd('0.75'), tokens: 100, split: new Map([['big', usd('0.25')]]) },
        { id: 'q~1', actual: usd('0.75'), tokens: 100, split: new Map([['mini', usd('0.5')]]) },
        { id: 'other', actual: usd('9'), tokens: 0 },
      ],
      T0 + 1000,
    );
    expect(out).toEqual([{ levels: [{ ref: 'team', level: usd('1.25'), spent: usd('1.25') }, { ref: 'big', level: usd('0.25'), spent: usd('0.25') }] }, { levels: [{ ref: 'mini', level: usd('0.5'), spent: usd('0.5') }] }, undefined]);
    expect(await counters.read([team, big, mini])).toEqual([
      { spent: usd('1.25'), held: 0n, initialized: true },
      { spent: usd('0.25'), held: 0n, initialized: true },
      { spent: usd('0.5'), held: 0n, initialized: true },
    ]);
    // Both reservations' rate lines were corrected to the actual tokens, and the concurrency slot is free.
    expect(await counters.reserve(plan('n', '0', [], [rate('tpm', 'tpm', 1000, 900), rate('mini-tpm', 'tpm', 1000, 900), c]))).toMatchObject({ ok: true });
    expect(await settleAll([{ id: 'q', actual: usd('1'), tokens: 0 }, { id: 'q~1', actual: usd('1'), tokens: 0 }], T0 + 2000)).toEqual([undefined, undefined]);
    expect(await counters.settle([], T0)).toEqual([]);
    await counters.close();
  });

  it('charges late lines with the settlement that ends a reservation, those initialised only, once', async () => {
    const { counters, line, init, plan } = await setup();
    const [day, later, cold, roll] = [line('day', '10'), line('later', '10'), line('cold', '10'), line('roll', '1', 3)];
    await init(day, later, roll);
    expect(await counters.reserve(plan('held', '0.5', [{ lines: [roll], pool: null }]))).toMatchObject({ ok: true });
    expect(await counters.reserve(plan('r1', '1', [{ lines: [day], pool: null }]))).toMatchObject({ ok: true });
    const late = [
      { line: later, amount: usd('0.5') },
      { line: cold, amount: usd('0.5') },
      { line: roll, amount: usd('0.25') },
    ];
    const item = (id: string) => ({ id: plan(id, '0', []).id, actual: usd('0.5'), tokens: 0, late });
    expect(await counters.settle([item('r1')], T0 + 1000)).toEqual([
      { levels: [{ ref: 'day', level: usd('0.5'), spent: usd('0.5') }], late: [{ ref: 'later', level: usd('0.5'), spent: usd('0.5') }, { ref: 'roll', level: usd('0.75'), spent: usd('0.25') }] },
    ]);
    // Settled already, or never reserved: nothing more.
    expect(await counters.settle([item('r1'), item('ghost')], T0 + 2000)).toEqual([undefined, undefined]);
    expect(await counters.read([later, cold, roll])).toEqual([
      { spent: usd('0.5'), held: 0n, initialized: true },
      { spent: 0n, held: 0n, initialized: false },
      { spent: usd('0.25'), held: usd('0.5'), initialized: true },
    ]);
    // A rolling window's level counts the late spend at once.
    expect(await counters.reserve(plan('x', '0.3', [{ lines: [roll], pool: null }]))).toMatchObject({ ok: false, reason: 'spend', level: usd('0.75') });
    await counters.close();
  });

  it('charges the late lines of a request without a reservation once per id', async () => {
    const { counters, line, init, plan } = await setup();
    const later = line('later', '10');
    await init(later);
    const item = { id: plan('free', '0', []).id, actual: 0n, tokens: 0, late: [{ line: later, amount: usd('0.3') }], unreserved: { guardMs: 60_000 } };
    expect(await counters.settle([item], T0)).toEqual([{ levels: [], late: [{ ref: 'later', level: usd('0.3'), spent: usd('0.3') }] }]);
    expect(await counters.settle([item], T0 + 1000)).toEqual([undefined]);
    expect(await counters.read([later])).toEqual([{ spent: usd('0.3'), held: 0n, initialized: true }]);
    await counters.close();
  });

  it('refuses an estimate larger than the whole limit, and ignores a repeated reserve of the same id', async () => {
    const { counters, line, init, plan } = await setup();
    const l = line('l', '1');
    await init(l);
    expect(await counters.reserve(plan('big', '1.000000000001', [{ lines: [l], pool: null }]))).toMatchObject({ ok: false, reason: 'spend', level: 0n });
    expect(await counters.reserve(plan('r', '0.4', [{ lines: [l], pool: null }]))).toMatchObject({ ok: true });
    expect(await counters.reserve(plan('r', '0.4', [{ lines: [l], pool: null }]))).toMatchObject({ ok: true, levels: [usd('0.4')] });
    expect((await counters.read([l]))[0]!.held).toBe(usd('0.4'));
    await counters.close();
  });

  it('refuses an estimate too large to count (BEYOND_ANY_LIMIT) on the largest limit and its pool, holding nothing', async () => {
    const { counters, line, init, plan } = await setup();
    const own = line('own', String(MAX_AMOUNT_USD));
    const pool = line('pool', String(MAX_AMOUNT_USD));
    await init(own, pool);
    const beyond = { ...plan('huge', '0', [{ lines: [own], pool }]), amount: BEYOND_ANY_LIMIT };
    expect(await counters.reserve(beyond)).toMatchObject({ ok: false, reason: 'spend', ref: 'own', level: 0n });
    expect(await counters.read([own, pool])).toEqual([
      { spent: 0n, held: 0n, initialized: true },
      { spent: 0n, held: 0n, initialized: true },
    ]);
    await counters.close();
  });

  it('charges the pool once when a member line is full, and refuses naming the pool when it is full too', async () => {
    const { counters, settle, line, init, plan } = await setup();
    const own = line('alice', '1');
    const pool = line('pool', '1.5');
    await init(own, pool);
    const g = [{ lines: [own], pool }];
    expect(await counters.reserve(plan('a', '1', g))).toEqual({ ok: true, pooled: [false], levels: [usd('1'), 0n] });
    expect(await counters.reserve(plan('b', '1', g))).toEqual({ ok: true, pooled: [true], levels: [usd('1'), usd('1')] });
    // The pool is what refused: its level and limit come with the member's.
    expect(await counters.reserve(plan('c', '1', g))).toEqual({ ok: false, reason: 'spend', ref: 'alice', level: usd('1'), limit: usd('1'), pool: { ref: 'pool', level: usd('1'), limit: usd('1.5') } });
    await settle('b', usd('0.75'), 0, T0);
    expect(await counters.read([own, pool])).toEqual([
      { spent: 0n, held: usd('1'), initialized: true },
      { spent: usd('0.75'), held: 0n, initialized: true },
    ]);
    await counters.close();
  });

  it('sums every bucket of a rolling window and charges the newest', async () => {
    const { counters, line, plan } = await setup();
    const l = line('roll', '3', 3);
    await counters.initialize([{ marker: l.marker, ttlMs: DAY, bucketTtlMs: DAY, amounts: [{ bucket: l.buckets[0]!, amount: usd('1') }, { bucket: l.buckets[1]!, amount: usd('1') }] }]);
    expect(await counters.reserve(plan('r1', '1.5', [{ lines: [l], pool: null }]))).toMatchObject({ ok: false, level: usd('2') });
    expect(await counters.reserve(plan('r2', '1', [{ lines: [l], pool: null }]))).toMatchObject({ ok: true, levels: [usd('3')] });
    await counters.adjust(l, -usd('0.5'));
    expect(await counters.read([l])).toEqual([{ spent: usd('1.5'), held: usd('1'), initialized: true }]);
    await counters.close();
  });

  it('counts requests per minute with the previous minute weighted, and refuses with the counts', async () => {
    const { counters, plan, rate } = await setup();
    for (const id of ['a', 'b']) expect(await counters.reserve(plan(id, '0', [], [rate('rpm', 'rpm', 2, 1)]))).toMatchObject({ ok: true });
    expect(await counters.reserve(plan('c', '0', [], [rate('rpm', 'rpm', 2, 1)]))).toEqual({ ok: false, reason: 'rate', ref: 'rpm', kind: 'rpm', current: 2, previous: 0 });
    // 30 s into the next minute half of the previous minute's 2 still counts.
    const later = T0 + 90_000;
    expect(await counters.reserve(plan('d', '0', [], [rate('rpm', 'rpm', 2, 1, later)], later))).toMatchObject({ ok: true });
    expect(await counters.reserve(plan('e', '0', [], [rate('rpm', 'rpm', 2, 1, later)], later))).toEqual({ ok: false, reason: 'rate', ref: 'rpm', kind: 'rpm', current: 1, previous: 2 });
    await counters.close();
  });

  it('corrects tokens per minute to the actual count at settlement', async () => {
    const { counters, settle, plan, rate } = await setup();
    expect(await counters.reserve(plan('a', '0', [], [rate('tpm', 'tpm', 1000, 900)]))).toMatchObject({ ok: true });
    expect(await counters.reserve(plan('b', '0', [], [rate('tpm', 'tpm', 1000, 200)]))).toMatchObject({ ok: false, kind: 'tpm', current: 900 });
    await settle('a', 0n, 100, T0);
    expect(await counters.reserve(plan('c', '0', [], [rate('tpm', 'tpm', 1000, 200)]))).toMatchObject({ ok: true });
    await counters.close();
  });

  it('holds a concurrency slot until settlement, or until the lease lapses', async () => {
    const { counters, settle, line, init, plan, conc } = await setup();
    const l = line('spend', '1');
    await init(l);
    const c = conc('c', 1);
    expect(await counters.reserve(plan('a', '0.5', [{ lines: [l], pool: null }], [c]))).toMatchObject({ ok: true });
    expect(await counters.reserve(plan('b', '0.1', [], [c]))).toEqual({ ok: false, reason: 'rate', ref: 'c', kind: 'concurrency', current: 1, previous: 0 });
    await settle('a', usd('0.2'), 0, T0);
    expect(await counters.reserve(plan('b', '0', [], [c]))).toMatchObject({ ok: true });
    // b's owner died: once its lease lapses the next reserve takes the slot back, and a's
    // replacement holds again.
    expect(await counters.reserve(plan('x', '0.5', [{ lines: [l], pool: null }], [], T0 + 1))).toMatchObject({ ok: true });
    const after = T0 + LEASE + 1;
    expect(await counters.reserve(plan('y', '0', [], [c], after))).toMatchObject({ ok: true });
    expect(await counters.read([l])).toEqual([{ spent: usd('0.2'), held: 0n, initialized: true }]);
    expect(await settle('x', usd('0.5'), 0, after)).toBeUndefined();
    await counters.close();
  });

  it('renews the lease of a reservation still open, with its concurrency slot, and not of one settled', async () => {
    const { counters, settle, renew, line, init, plan, conc } = await setup();
    const l = line('long', '1');
    await init(l);
    const c = conc('lc', 1);
    expect(await counters.reserve(plan('long', '0.5', [{ lines: [l], pool: null }], [c]))).toMatchObject({ ok: true });
    expect(await counters.reserve(plan('short', '0.1', [{ lines: [l], pool: null }]))).toMatchObject({ ok: true });
    await settle('short', usd('0.1'), 0, T0 + 1);
    await renew(['long', 'short', 'never'], T0 + LEASE / 2, T0 + LEASE / 2 + LEASE);
    // Past the first lease: the sweep of the next reserve leaves the renewed hold and its slot alone.
    const after = T0 + LEASE + 1;
    expect(await counters.reserve(plan('next', '0.1', [{ lines: [l], pool: null }], [c], after))).toEqual({ ok: false, reason: 'rate', ref: 'lc', kind: 'concurrency', current: 1, previous: 0 });
    expect(await counters.read([l])).toEqual([{ spent: usd('0.1'), held: usd('0.5'), initialized: true }]);
    expect(await settle('long', usd('0.3'), 0, after)).toMatchObject({ levels: [{ ref: 'long', spent: usd('0.4') }] });
    expect(await settle('short', usd('0.1'), 0, after)).toBeUndefined();
    // A renewal ends too: past it the next sweep takes the hold back.
    expect(await counters.reserve(plan('gone', '0.2', [{ lines: [l], pool: null }], [], after))).toMatchObject({ ok: true });
    await renew(['gone'], after, after + LEASE);
    expect(await counters.reserve(plan('later', '0', [{ lines: [l], pool: null }], [], after + 2 * LEASE + 1))).toMatchObject({ ok: true });
    expect(await counters.read([l])).toEqual([{ spent: usd('0.4'), held: 0n, initialized: true }]);
    await counters.close();
  });

  it('keeps amounts exact to the picodollar', async () => {
    const { counters, settle, line, init, plan } = await setup();
    const l = line('exact', '5000');
    await init(l);
    const amounts = ['1234.567890123456', '0.000000000001', '999.999999999999'];
    for (const [i, a] of amounts.entries()) {
      await counters.reserve(plan(`r${i}`, a, [{ lines: [l], pool: null }]));
      await settle(`r${i}`, usd(a), 0, T0);
    }
    expect((await counters.read([l]))[0]!.spent).toBe(usd('2234.567890123456'));
    await counters.close();
  });

  it('never lets concurrent reservations past the limit', async () => {
    const { counters, line, init, plan } = await setup();
    const l = line('race', '1');
    await init(l);
    const outcomes = await Promise.all(Array.from({ length: 200 }, (_, i) => counters.reserve(plan(`r${i}`, '0.007', [{ lines: [l], pool: null }]))));
    expect(outcomes.filter((o) => o.ok)).toHaveLength(142);
    expect((await counters.read([l]))[0]!.held).toBe(usd('0.994'));
    await counters.close();
  });

  it('settled spend never exceeds the limit when estimates are upper bounds, in any order', async () => {
    const { counters, settle, line, init, plan } = await setup();
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ estimate: fc.integer({ min: 1, max: 400 }), actualShare: fc.integer({ min: 0, max: 100 }), settleAfter: fc.nat(5) }), { minLength: 1, maxLength: 30 }), async (reqs) => {
        const l = line(`p${++run}`, '10');
        await init(l);
        const open: { id: string; actual: bigint; at: number }[] = [];
        let expected = 0n;
        for (const [i, r] of reqs.entries()) {
          const amount = usd('0.01') * BigInt(r.estimate);
          const out = await counters.reserve({ ...plan(`${run}:${i}`, '0', [{ lines: [l], pool: null }]), amount });
          if (out.ok) open.push({ id: `${run}:${i}`, actual: (amount * BigInt(r.actualShare)) / 100n, at: i + r.settleAfter });
          for (const o of open.filter((x) => x.at <= i)) {
            await settle(o.id, o.actual, 0, T0);
            expected += o.actual;
            open.splice(open.indexOf(o), 1);
          }
        }
        for (const o of open) {
          await settle(o.id, o.actual, 0, T0);
          expected += o.actual;
        }
        const [read] = await counters.read([l]);
        expect(read).toEqual({ spent: expected, held: 0n, initialized: true });
        expect(read!.spent).toBeLessThanOrEqual(l.limit);
      }),
      { numRuns: 30, seed: 7 },
    );
    await counters.close();
  });
}

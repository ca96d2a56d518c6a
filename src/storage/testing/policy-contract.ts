import { expect, it } from 'vitest';
import type { AuditEntry, Budget, Increase, ModelPolicy, RateLimit } from '../../policy/rules.js';
import { parseScope } from '../../policy/scope.js';
import { parseWindow } from '../../policy/window.js';
import type { AuditPlace, Storage } from '../ports.js';

export function sampleBudget(overrides: Partial<Budget> = {}): Budget {
  return {
    id: 'bud_alice',
    kind: 'budget',
    name: 'alice monthly',
    scope: parseScope('user:alice'),
    window: parseWindow('month'),
    limitPicos: 20_000_000_000_000n,
    thresholds: [50, 80, 100],
    fail: 'open',
    pool: 'pool_platform',
    downgrade: { atPercent: 90, to: 'gpt-5-mini' },
    enforceMaxTokens: false,
    source: 'api',
    createdAt: 1_000,
    ...overrides,
  };
}

function sampleIncrease(overrides: Partial<Increase> = {}): Increase {
  return {
    id: 'inc_1',
    scope: parseScope('team:platform'),
    budgetId: null,
    amountPicos: 123_456_789_012_345_678_901n,
    hours: 24,
    reason: 'release week, "quoted", ünïcode',
    requestedBy: 'alice',
    status: 'pending',
    createdAt: 5_000,
    decidedAt: null,
    decidedBy: null,
    note: null,
    expiresAt: null,
    ...overrides,
  };
}

/** The policy half of the storage contract. Call inside a describe(). */
export function policyContract(open: () => Promise<Storage>): void {
  it('stores budgets and pools whole: exact money, scopes and windows', async () => {
    const s = await open();
    const budget = sampleBudget();
    // More than 2^64 picos, a rolling window and a tag scope.
    const pool = sampleBudget({ id: 'pool_platform', kind: 'pool', name: null, scope: parseScope('tag:team=plat-form'), window: parseWindow('90m'), limitPicos: 2n ** 70n + 1n, thresholds: [], pool: null, downgrade: null, enforceMaxTokens: true, fail: 'closed', createdAt: 2_000 });
    await s.policy.putBudget(pool);
    await s.policy.putBudget(budget);
    const listed = await s.policy.listBudgets();
    expect(listed).toEqual([budget, pool]);
    expect(listed[1]!.limitPicos).toBe(2n ** 70n + 1n);
    expect(listed[1]!.window).toEqual({ kind: 'rolling', ms: 90 * 60_000 });

    const raised = { ...budget, limitPicos: 1n, window: parseWindow('quarter') };
    await s.policy.putBudget(raised);
    expect(await s.policy.listBudgets()).toEqual([raised, pool]);
    expect(await s.policy.deleteBudget(budget.id)).toBe(true);
    expect(await s.policy.deleteBudget(budget.id)).toBe(false);
    expect(await s.policy.listBudgets()).toEqual([pool]);
    await s.close();
  });

  it('refuses a rule whose scope would not read back', async () => {
    const s = await open();
    await expect(s.policy.putBudget(sampleBudget({ scope: { kind: 'user', value: 'has space' } }))).rejects.toThrow(RangeError);
    expect(await s.policy.listBudgets()).toEqual([]);
    await s.close();
  });

  it('stores rate limits and model policies whole', async () => {
    const s = await open();
    const limit: RateLimit = { id: 'rl_1', name: null, scope: parseScope('key:key_abc'), rpm: 60, tpm: null, concurrency: 4, fail: 'closed', source: 'api', createdAt: 1 };
    const policy: ModelPolicy = {
      id: 'mp_1',
      name: 'cheap by default',
      scope: parseScope('org'),
      allow: null,
      deny: ['claude-opus-*'],
      rewrites: [{ from: 'gpt-5', to: 'gpt-5-mini' }],
      allowKeep: true,
      source: 'api',
      createdAt: 2,
    };
    await s.policy.putRateLimit(limit);
    await s.policy.putModelPolicy(policy);
    expect(await s.policy.listRateLimits()).toEqual([limit]);
    expect(await s.policy.listModelPolicies()).toEqual([policy]);

    const narrowed = { ...policy, scope: parseScope('model:gpt-5*'), allow: ['gpt-5-mini'] };
    await s.policy.putModelPolicy(narrowed);
    await s.policy.putRateLimit({ ...limit, rpm: null });
    expect(await s.policy.listModelPolicies()).toEqual([narrowed]);
    expect((await s.policy.listRateLimits())[0]!.rpm).toBeNull();
    expect(await s.policy.deleteRateLimit('rl_1')).toBe(true);
    expect(await s.policy.deleteModelPolicy('mp_1')).toBe(true);
    expect(await s.policy.deleteModelPolicy('mp_1')).toBe(false);
    expect(await s.policy.listRateLimits()).toEqual([]);
    expect(await s.policy.listModelPolicies()).toEqual([]);
    await s.close();
  });

  it('keeps increase requests and lists them newest first, by status', async () => {
    const s = await open();
    const older = sampleIncrease({ id: 'inc_old', budgetId: 'bud_alice', createdAt: 1_000 });
    const newer = sampleIncrease({ id: 'inc_new', createdAt: 2_000 });
    await s.policy.createIncrease(older);
    await s.policy.createIncrease(newer);
    expect(await s.policy.getIncrease('inc_old')).toEqual(older);
    expect(await s.policy.getIncrease('missing')).toBeUndefined();
    expect((await s.policy.listIncreases()).map((i) => i.id)).toEqual(['inc_new', 'inc_old']);
    await s.policy.transitionIncrease('inc_old', 'pending', { status: 'denied', decidedAt: 3_000, decidedBy: 'bob', note: null });
    expect((await s.policy.listIncreases({ status: 'pending' })).map((i) => i.id)).toEqual(['inc_new']);
    expect((await s.policy.listIncreases({ status: 'denied' })).map((i) => i.id)).toEqual(['inc_old']);
    await s.close();
  });

  it('decides an increase once: of concurrent transitions from pending, exactly one wins', async () => {
    const s = await open();
    await s.policy.createIncrease(sampleIncrease());
    const deciders = ['bob', 'carol', 'dave', 'erin'];
    const results = await Promise.all(
      deciders.map((who, i) =>
        s.policy.transitionIncrease('inc_1', 'pending', i % 2 === 0 ? { status: 'approved', decidedAt: 10_000 + i, decidedBy: who, note: `ok from ${who}`, expiresAt: 10_000 + i + 86_400_000 } : { status: 'denied', decidedAt: 10_000 + i, decidedBy: who, note: null }),
      ),
    );
    const winners = results.filter((r): r is Increase => r !== undefined);
    expect(winners).toHaveLength(1);
    const won = winners[0]!;
    expect(await s.policy.getIncrease('inc_1')).toEqual(won);
    expect(won.amountPicos).toBe(123_456_789_012_345_678_901n);

    expect(await s.policy.transitionIncrease('inc_1', 'pending', { status: 'denied' })).toBeUndefined();
    expect(await s.policy.transitionIncrease('missing', 'pending', { status: 'denied' })).toBeUndefined();
    if (won.status === 'approved') {
      // Only the fields given change.
      expect(await s.policy.transitionIncrease('inc_1', 'approved', { status: 'expired' })).toEqual({ ...won, status: 'expired' });
    }
    await s.close();
  });

  it('appends to the audit log and lists it newest first, in write order within a millisecond', async () => {
    const s = await open();
    const entry = (id: string, ts: number, details: Record<string, unknown> = {}): AuditEntry => ({ id, ts, actor: 'bob', action: 'budget.set', subject: 'budget:bud_alice', details });
    const entries = [entry('aud_z', 1_000), entry('aud_a', 1_000), entry('aud_m', 1_000), entry('aud_b', 2_000, { limit_usd: '20', nested: { ok: true, list: [1, 'two'] } })];
    for (const e of entries) await s.policy.appendAudit(e);
    expect((await s.policy.listAudit()).map((e) => e.id)).toEqual(['aud_b', 'aud_m', 'aud_a', 'aud_z']);
    expect((await s.policy.listAudit({ limit: 2 })).map((e) => e.id)).toEqual(['aud_b', 'aud_m']);
    expect((await s.policy.listAudit({ since: 1_500 })).map((e) => e.id)).toEqual(['aud_b']);
    expect((await s.policy.listAudit({ limit: 0 }))).toEqual([]);
    expect((await s.policy.listAudit({ since: 2_000 }))[0]).toEqual(entries[3]);

    await s.policy.appendAudit(entry('aud_big', 3_000, { amount: 2n ** 70n }));
    expect((await s.policy.listAudit({ limit: 1 }))[0]!.details).toEqual({ amount: (2n ** 70n).toString() });
    await s.close();
  });

  it('pages the audit log back in time, by place, within since and until, past entries of one millisecond', async () => {
    const s = await open();
    const entry = (id: string, ts: number): AuditEntry => ({ id, ts, actor: 'bob', action: 'budget.set', subject: 'budget:b', details: {} });
    // Written out of time order, five in one millisecond.
    const written = [entry('e1', 1_000), entry('e5', 3_000), entry('e2', 2_000), entry('e3', 2_000), entry('e4', 2_000), entry('e6', 2_000), entry('e7', 2_000), entry('e0', 500)];
    for (const e of written) await s.policy.appendAudit(e);
    const ids = (list: AuditEntry[]) => list.map((e) => e.id);
    expect(ids(await s.policy.listAudit())).toEqual(['e5', 'e7', 'e6', 'e4', 'e3', 'e2', 'e1', 'e0']);
    expect(ids(await s.policy.listAudit({ until: 2_000 }))).toEqual(['e1', 'e0']);
    expect(ids(await s.policy.listAudit({ since: 1_000, until: 3_000 }))).toEqual(['e7', 'e6', 'e4', 'e3', 'e2', 'e1']);
    const pages: string[][] = [];
    let before: AuditPlace | undefined;
    do {
      const page = await s.policy.pageAudit({ since: 1_000, until: 3_000, before, limit: 2 });
      pages.push(ids(page.entries));
      before = page.next;
    } while (before);
    expect(pages).toEqual([['e7', 'e6'], ['e4', 'e3'], ['e2', 'e1']]);
    // A page that ends the log says so: no place to go on from.
    expect(await s.policy.pageAudit({ limit: 8 })).toEqual({ entries: [...written].sort((a, b) => b.ts - a.ts || written.indexOf(b) - written.indexOf(a)), next: undefined });
    expect((await s.policy.pageAudit({ limit: 7 })).next).toBeDefined();
    await expect(s.policy.pageAudit({ limit: 0 })).rejects.toThrow(RangeError);
    await s.close();
  });

  it('claims an alert once, even when two claims race', async () => {
    const s = await open();
    const key = 'budget:bud_alice:2026-11:80';
    const first = await Promise.all([s.policy.claimAlert(key, 1_000), s.policy.claimAlert(key, 1_001)]);
    expect(first.filter(Boolean)).toHaveLength(1);
    expect(await s.policy.claimAlert(key, 2_000)).toBe(false);
    expect(await s.policy.claimAlert('budget:bud_alice:2026-12:80', 2_000)).toBe(true);
    await s.close();
  });

  it('keeps an anomaly’s episode under its first key while windows follow on, and decides one key when replicas join at once', async () => {
    const s = await open();
    const MIN = 60_000;
    const who = 'spend_spike\nuser:alice';
    const join = (key: string, start: number, end: number) => s.policy.joinEpisode({ who, key, start, end }, MIN);
    // Two replicas find it at once, keyed by the hours on either side of 11:00: one key for both.
    const both = await Promise.all([join('h10', 100 * MIN, 105 * MIN), join('h11', 100 * MIN + 20_000, 105 * MIN + 20_000)]);
    expect(new Set(both).size).toBe(1);
    const first = both[0];
    // Following on within the gap (a minute) continues it; a late find of an older, separate window keeps its own key.
    expect(await join('h11', 106 * MIN, 111 * MIN)).toBe(first);
    expect(await join('h09', 40 * MIN, 45 * MIN)).toBe('h09');
    expect(await join('h11', 112 * MIN, 117 * MIN)).toBe(first);
    // After a quiet window it is a new episode, under its own key, which later finds continue.
    expect(await join('h12', 119 * MIN, 124 * MIN)).toBe('h12');
    expect(await join('h12', 125 * MIN, 130 * MIN)).toBe('h12');
    expect(await s.policy.joinEpisode({ who: 'retry_storm\nkey:k1', key: 'h12', start: 125 * MIN, end: 130 * MIN }, MIN)).toBe('h12');
    await s.close();
  });
}

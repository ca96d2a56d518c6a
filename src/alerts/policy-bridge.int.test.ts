import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Logger } from '../core/logger.js';
import { usd } from '../core/money.js';
import type { Caller } from '../policy/admission.js';
import { countedSet } from '../policy/counted-set.js';
import { budgetInput, parseRule, toBudget } from '../policy/rule-input.js';
import { parseScope } from '../policy/scope.js';
import { openSqlite } from '../storage/sqlite/sqlite-storage.js';
import { AlertBridge } from './policy-bridge.js';
import { MemorySink } from './webhook.js';

const quiet: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('policy alerts from several replicas', () => {
  it('send one counters alert a minute for an outage every replica sees, and each replica audits only what it sent', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-bridge-'));
    dirs.push(dir);
    const storage = openSqlite(join(dir, 'ledger.db'));
    try {
      let now = Date.UTC(2026, 11, 6, 12, 0, 10);
      const sinks = [new MemorySink(), new MemorySink()];
      const bridges = sinks.map((sink) => new AlertBridge(storage, sink, undefined, quiet, () => now));
      const settle = () => new Promise((r) => setTimeout(r, 50));
      for (const b of bridges) b.countersDown('open', 'Redis at 127.0.0.1:6379 is not connected');
      await settle();
      expect(sinks.flatMap((s) => s.events).map((e) => e.type)).toEqual(['counters.fail_open']);
      // The next minute: one alert again, and a fail-closed alert is claimed apart.
      now += 61_000;
      for (const b of bridges) b.countersDown('open', 'still down');
      for (const b of bridges) b.countersDown('closed', 'still down');
      await settle();
      expect(sinks.flatMap((s) => s.events).map((e) => e.type).sort()).toEqual(['counters.fail_closed', 'counters.fail_open', 'counters.fail_open']);
      expect((await storage.policy.listAudit({})).map((a) => a.action).sort()).toEqual(['policy.fail_closed', 'policy.fail_open', 'policy.fail_open']);
    } finally {
      await storage.close();
    }
  });

  it('audits a budget alert by its budget, window start and limit in USD, while claiming it by budget, counted set, window and limit', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-bridge-'));
    dirs.push(dir);
    const storage = openSqlite(join(dir, 'ledger.db'));
    try {
      const now = Date.UTC(2026, 11, 6, 12);
      const sink = new MemorySink();
      const bridge = new AlertBridge(storage, sink, undefined, quiet, () => now);
      const b = toBudget(parseRule(budgetInput, { scope: 'user:carol', window: 'day', limit_usd: '0.01' }), 'budget', 'config', 0);
      const windowStart = Date.UTC(2026, 11, 6);
      const caller: Caller = { user: 'carol', keyId: 'key_1', team: null, project: null, tags: {} };
      for (let i = 0; i < 2; i++) bridge.refused(b, `req_${i}`, caller, 0n, usd('0.01'), windowStart, windowStart + 86_400_000, usd('200'));
      bridge.threshold(b, 80, usd('0.008'), usd('0.01'), windowStart, windowStart + 86_400_000);
      await new Promise((r) => setTimeout(r, 50));
      expect(sink.events.map((e) => e.type)).toEqual(['budget.refused', 'budget.threshold']);
      const audit = (await storage.policy.listAudit({})).map((a) => [a.action, a.subject, a.details]);
      expect(audit.sort()).toEqual([
        ['budget.refused', 'budget:user:carol:day', { window_start: '2026-12-06T00:00:00.000Z', limit_usd: '0.01', oversized: true }],
        ['budget.threshold', 'budget:user:carol:day', { window_start: '2026-12-06T00:00:00.000Z', limit_usd: '0.01', percent: 80 }],
      ]);
      // The once-only claims name the counted set too: the same id moved to another scope alerts again.
      const set = countedSet(b);
      expect(await storage.policy.claimAlert(`refused:budget:user:carol:day:${set}:${windowStart}:10000000000:oversized`, now)).toBe(false);
      expect(await storage.policy.claimAlert(`threshold:budget:user:carol:day:${set}:${windowStart}:10000000000:80`, now)).toBe(false);
      const moved = { ...b, scope: parseScope('user:dave') };
      bridge.threshold(moved, 80, usd('0.008'), usd('0.01'), windowStart, windowStart + 86_400_000);
      await new Promise((r) => setTimeout(r, 50));
      expect(sink.events.map((e) => e.type)).toEqual(['budget.refused', 'budget.threshold', 'budget.threshold']);
    } finally {
      await storage.close();
    }
  });

  it('sends a budget alert whose claim storage cannot take, rather than lose it (a threshold is raised once a window)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-bridge-'));
    dirs.push(dir);
    const storage = openSqlite(join(dir, 'ledger.db'));
    try {
      const down = { ...storage, policy: { ...storage.policy, claimAlert: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432')) } };
      const sink = new MemorySink();
      const bridge = new AlertBridge(down, sink, undefined, quiet, () => Date.UTC(2026, 11, 6, 12));
      const b = toBudget(parseRule(budgetInput, { scope: 'user:bob', window: 'day', limit_usd: '0.01' }), 'budget', 'config', 0);
      bridge.threshold(b, 50, usd('0.005'), usd('0.01'), Date.UTC(2026, 11, 6), Date.UTC(2026, 11, 7));
      await new Promise((r) => setTimeout(r, 50));
      expect(sink.events.map((e) => e.type)).toEqual(['budget.threshold']);
    } finally {
      await storage.close();
    }
  });

  it('sends a rolling budget threshold and refusal alert once a span across replicas, not again as its oldest bucket moves on', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-bridge-'));
    dirs.push(dir);
    const storage = openSqlite(join(dir, 'ledger.db'));
    try {
      let now = Date.UTC(2026, 11, 6, 9);
      const sinks = [new MemorySink(), new MemorySink()];
      const bridges = sinks.map((sink) => new AlertBridge(storage, sink, undefined, quiet, () => now));
      const b = toBudget(parseRule(budgetInput, { scope: 'user:erin', window: '5h', limit_usd: '0.01' }), 'budget', 'config', 0);
      const caller: Caller = { user: 'erin', keyId: 'key_1', team: null, project: null, tags: {} };
      // An hour at 90%, refused now and then, through either replica: the window counts from 5 hours back, in 5-minute steps.
      for (let k = 0; k <= 12; k++, now += 300_000) {
        const from = now - 5 * 3_600_000;
        const bridge = bridges[k % 2]!;
        bridge.threshold(b, 80, usd('0.009'), usd('0.01'), from, now + 300_000);
        bridge.refused(b, `req_${k}`, caller, usd('0.009'), usd('0.01'), from, now + 300_000, usd('0.002'));
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(sinks.flatMap((s) => s.events).map((e) => e.type).sort()).toEqual(['budget.refused', 'budget.threshold']);
    } finally {
      await storage.close();
    }
  });
});

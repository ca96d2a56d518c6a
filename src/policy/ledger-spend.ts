import type { Dimension } from '../core/ledger-row.js';
import type { Picos } from '../core/money.js';
import type { LedgerStore } from '../storage/ports.js';
import type { CounterInit } from './counters/port.js';
import { type BudgetCounter, markerTtlMs } from './plan.js';
import type { Budget } from './rules.js';
import { type Scope, scopeMatches } from './scope.js';

const HOUR = 3_600_000;

/** Which report dimension holds a scope's value, and how a group's value is tested. */
export function dimensionOf(s: Scope): { dim: Dimension | null; test: (value: string) => boolean } {
  const subject = (patch: Partial<Record<string, string>>) => ({ keyId: null, user: null, team: null, project: null, tags: {}, model: '', provider: '', ...patch });
  switch (s.kind) {
    case 'org':
      return { dim: null, test: () => true };
    case 'tag': {
      const name = s.value.slice(0, s.value.indexOf('='));
      return { dim: `tag:${name}`, test: (v) => scopeMatches(s, { ...subject({}), tags: { [name]: v } }) };
    }
    case 'key':
      return { dim: 'key', test: (v) => v === s.value };
    case 'model':
    case 'project':
    case 'provider':
    case 'team':
    case 'user':
      return { dim: s.kind, test: (v) => scopeMatches(s, subject({ [s.kind]: v })) };
  }
}

/**
 * Rebuilds a budget's counter from the ledger: the spend of the rows its scope matches
 * since its window began, less what its pool paid for (that spend counts on the pool).
 * For a pool, the rows it paid for. Rolling windows get each hour's spend in the last
 * bucket that hour overlaps, so rebuilt spend leaves the window late rather than early.
 */
export async function counterFromLedger(ledger: LedgerStore, c: BudgetCounter, now: number): Promise<CounterInit> {
  const b: Budget = c.budget;
  const since = b.window.kind === 'rolling' ? bucketStart(c, 0) : c.window.start;
  const { dim, test } = dimensionOf(b.scope);
  const rolling = b.window.kind === 'rolling';
  const hourDims: Dimension[] = rolling ? ['hour'] : [];
  const spend = new Map<number, Picos>();
  const add = (hour: number, p: Picos) => spend.set(hour, (spend.get(hour) ?? 0n) + p);

  if (b.kind === 'pool') {
    for (const r of await ledger.aggregate({ since, until: now + 1, by: ['pool', ...hourDims] })) {
      if (r.keys[0] === b.id) add(rolling ? hourOf(r.keys[1]) : 0, r.costPicos);
    }
  } else {
    const by: Dimension[] = [...(dim ? [dim] : []), ...hourDims];
    for (const r of await ledger.aggregate({ since, until: now + 1, by })) {
      if (dim === null || test(r.keys[0] ?? '')) add(rolling ? hourOf(r.keys[dim ? 1 : 0]) : 0, r.costPicos);
    }
    if (b.pool) {
      for (const r of await ledger.aggregate({ since, until: now + 1, by: ['pool', ...(dim ? [dim] : []), ...hourDims] })) {
        if (r.keys[0] !== b.pool || (dim !== null && !test(r.keys[1] ?? ''))) continue;
        add(rolling ? hourOf(r.keys[dim ? 2 : 1]) : 0, -r.costPicos);
      }
    }
  }

  const buckets = c.line.buckets;
  const amounts = new Map<string, Picos>();
  for (const [hour, p] of spend) {
    const bucket = rolling ? buckets[lastBucketOverlapping(c, hour + HOUR - 1)]! : buckets[0]!;
    amounts.set(bucket, (amounts.get(bucket) ?? 0n) + p);
  }
  return { marker: c.line.marker, ttlMs: markerTtlMs(b), bucketTtlMs: c.line.ttlMs, amounts: [...amounts].filter(([, a]) => a !== 0n).map(([bucket, amount]) => ({ bucket, amount })) };
}

function bucketStart(c: BudgetCounter, i: number): number {
  return c.window.buckets[i]!;
}

function lastBucketOverlapping(c: BudgetCounter, ts: number): number {
  const starts = c.window.buckets;
  for (let i = starts.length - 1; i >= 0; i--) if (starts[i]! <= ts) return i;
  return 0;
}

/** Report keys name hours as ISO text ("2026-11-22T10:00Z"). */
function hourOf(key: string | undefined): number {
  return Date.parse(key ?? '');
}

import { silentLogger } from '../../core/logger.js';
import type { Picos } from '../../core/money.js';
import type { CounterInit, Counters, ReserveOutcome, SpendLine } from '../../policy/counters/port.js';
import { Enforcer } from '../../policy/enforcer.js';
import { type IncreaseEvents, IncreaseService } from '../../policy/increases.js';
import { counterFromLedger } from '../../policy/ledger-spend.js';
import { type ConfigRules, RuleBook } from '../../policy/rule-book.js';
import type { Increase } from '../../policy/rules.js';
import type { PolicyRuntime } from '../../policy/runtime.js';
import { DEFAULT_POLICY_SETTINGS, type PolicySettings } from '../../policy/settings.js';
import { noEvents } from '../../policy/threshold-watch.js';
import type { Storage } from '../../storage/ports.js';

/**
 * Counters for admin tests: spend per bucket and initialised markers, nothing more. The
 * admin routes only read, initialise and adjust; reservations belong to the enforcer's tests.
 */
export class FakeCounters implements Counters {
  readonly buckets = new Map<string, Picos>();
  readonly markers = new Set<string>();

  reserve(): Promise<ReserveOutcome> {
    return Promise.resolve({ ok: true, pooled: [], levels: [] });
  }

  settle(): Promise<undefined> {
    return Promise.resolve(undefined);
  }

  initialize(inits: CounterInit[]): Promise<void> {
    for (const i of inits) {
      if (this.markers.has(i.marker)) continue;
      this.markers.add(i.marker);
      for (const a of i.amounts) this.buckets.set(a.bucket, (this.buckets.get(a.bucket) ?? 0n) + a.amount);
    }
    return Promise.resolve();
  }

  read(lines: SpendLine[]): Promise<{ spent: Picos; held: Picos; initialized: boolean }[]> {
    return Promise.resolve(lines.map((l) => ({ spent: l.buckets.reduce((s, b) => s + (this.buckets.get(b) ?? 0n), 0n), held: 0n, initialized: this.markers.has(l.marker) })));
  }

  adjust(line: SpendLine, delta: Picos): Promise<void> {
    const b = line.buckets[line.buckets.length - 1]!;
    this.buckets.set(b, (this.buckets.get(b) ?? 0n) + delta);
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Increase events, recorded. */
export class RecordedEvents implements IncreaseEvents {
  readonly seen: { type: 'requested' | 'decided' | 'expired'; increase: Increase }[] = [];
  requested(i: Increase): void {
    this.seen.push({ type: 'requested', increase: i });
  }
  decided(i: Increase): void {
    this.seen.push({ type: 'decided', increase: i });
  }
  expired(i: Increase): void {
    this.seen.push({ type: 'expired', increase: i });
  }
}

export interface TestRuntimeOptions {
  rules?: Partial<ConfigRules>;
  settings?: Partial<PolicySettings>;
  counters?: Counters;
  now?: () => number;
}

/** A policy runtime over real storage, as the app builds it, without the gateway. */
export async function testRuntime(storage: Storage, o: TestRuntimeOptions = {}): Promise<PolicyRuntime & { events: RecordedEvents }> {
  const now = o.now ?? Date.now;
  const settings = { ...DEFAULT_POLICY_SETTINGS, ...o.settings };
  const counters = o.counters ?? new FakeCounters();
  const events = new RecordedEvents();
  const rules = new RuleBook(storage.policy, { budgets: [], rateLimits: [], modelPolicies: [], ...o.rules }, silentLogger, { refreshMs: 60_000 });
  const fromLedger = (c: Parameters<typeof counterFromLedger>[1], at: number) => counterFromLedger(storage.ledger, c, at);
  const enforcer = new Enforcer({ rules: () => rules.current(), counters, price: () => ({ costPicos: 0n, unpriced: false }), fromLedger, events: noEvents, settings, log: silentLogger, now });
  await rules.refresh();
  return { rules, store: storage.policy, increases: new IncreaseService(storage.policy, events, now), counters, settings, enforcer, fromLedger, approvalLinks: undefined, now, events };
}

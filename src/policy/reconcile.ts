import type { Picos } from '../core/money.js';
import type { LedgerStore } from '../storage/ports.js';
import type { Counters, Settlement } from './counters/port.js';
import { type BudgetCounter, budgetCounter } from './plan.js';
import type { RuleSet } from './rules.js';
import type { PolicySettings } from './settings.js';

export interface Drift {
  counter: BudgetCounter;
  /** What the counters say has been spent (settled) in the window. */
  counted: Picos;
  /** What the ledger says. */
  ledger: Picos;
  /** counted - ledger. */
  drift: Picos;
  initialized: boolean;
}

/**
 * Compares each budget's settled spend in its current window with the ledger. Drift
 * comes from settlements lost while the counter store was down, or rows replayed from
 * the spool after a crash; `fix` adds the difference to the counters.
 */
export async function reconcile(
  rules: RuleSet,
  counters: Counters,
  fromLedger: (c: BudgetCounter, now: number) => Promise<{ amounts: { amount: Picos }[] }>,
  s: PolicySettings,
  now: number,
  fix = false,
): Promise<Drift[]> {
  const list = rules.budgets.map((b) => budgetCounter(s.keyPrefix, b, rules, now, s.timeZone));
  const read = await counters.read(list.map((c) => c.line));
  const out: Drift[] = [];
  for (const [i, c] of list.entries()) {
    const init = await fromLedger(c, now);
    const ledger = init.amounts.reduce((sum, a) => sum + a.amount, 0n);
    const counted = read[i]!.spent;
    const drift = counted - ledger;
    if (fix && drift !== 0n && read[i]!.initialized) await counters.adjust(c.line, -drift);
    out.push({ counter: c, counted, ledger, drift, initialized: read[i]!.initialized });
  }
  return out;
}

/** Reservations looked up in the ledger per run at most. */
const MAX_LOOKED_UP = 10_000;

/** What `ended` says of a request that has a row in the ledger: it ended, with these tokens. */
export type EndedRequests = (ids: string[]) => Promise<Map<string, { tokens: number }>>;

/**
 * The reservations still held by requests that have ended: those whose request (the id before
 * `~`, for a fallback's or a batch part's hold) has its row in the ledger. The gateway writes a
 * request's row just before it settles it, so such a hold is only waiting for a settlement that
 * did not reach the counters (a replica that lost Redis and was stopped, or let it go), or is on
 * its way. With `release`, each is settled at zero (with its row's tokens, for rate limits): its
 * cost is in the ledger, and the drift `reconcile` fixes right after adds it. Settling is atomic and
 * idempotent per reservation id, so a replica settling the same hold at the same time, or later
 * from its kept settlements, changes nothing more: whichever comes first releases it, and the
 * spend is counted once (by that settlement, or else by the drift fix). Safe across replicas.
 */
export async function endedHolds(counters: Counters, ended: EndedRequests, now: number, release: boolean): Promise<{ found: number; released: number }> {
  const ids = await counters.openReservations(MAX_LOOKED_UP);
  const requestOf = (id: string) => (id.includes('~') ? id.slice(0, id.indexOf('~')) : id);
  const rows = await ended([...new Set(ids.map(requestOf))]);
  const items: Settlement[] = [];
  for (const id of ids) {
    const row = rows.get(requestOf(id));
    if (row) items.push({ id, actual: 0n, tokens: row.tokens });
  }
  if (!release || items.length === 0) return { found: items.length, released: 0 };
  const outs = await counters.settle(items, now);
  return { found: items.length, released: outs.filter((o) => o !== undefined).length };
}

/** The ids among `ids` with a row in the ledger, and their tokens: one lookup each (requests in flight, a few hundred). */
export async function endedIn(storage: { ledger: Pick<LedgerStore, 'get'> }, ids: string[]): Promise<Map<string, { tokens: number }>> {
  const out = new Map<string, { tokens: number }>();
  for (const id of ids) {
    const row = await storage.ledger.get(id);
    if (row) out.set(id, { tokens: row.inputTokens + row.outputTokens });
  }
  return out;
}

import type { BudgetAlert } from './events.js';
import { LINK_MS, type LinkCheck, type SignedFields, signQuery, verifyQuery } from './signed-link.js';

/** What a budget alert's spend link says: the budget and its window as the alert saw them, and when it was raised (the page reads the window up to then). */
export type SpendSpec = Pick<BudgetAlert, 'budgetId' | 'budgetName' | 'scope' | 'window' | 'windowStart' | 'resetsAt' | 'spentPicos' | 'limitPicos'> & { at: number };

const FIELDS = ['b', 'n', 's', 'w', 'from', 'reset', 'at', 'spent', 'limit'] as const;

export function spendSpec(b: BudgetAlert, at: number): SpendSpec {
  return { budgetId: b.budgetId, budgetName: b.budgetName, scope: b.scope, window: b.window, windowStart: b.windowStart, resetsAt: b.resetsAt, at, spentPicos: b.spentPicos, limitPicos: b.limitPicos };
}

/**
 * A link to the page that shows where a budget's spend went (by user, model, workflow and
 * session), readable without the admin token for a week, as an anomaly's evidence is.
 */
export function signSpendLink(baseUrl: string, secret: string, spec: SpendSpec): string {
  const fields: SignedFields = [
    ['b', spec.budgetId],
    ['n', spec.budgetName ?? ''],
    ['s', spec.scope],
    ['w', spec.window],
    ['from', String(spec.windowStart)],
    ['reset', String(spec.resetsAt)],
    ['at', String(spec.at)],
    ['spent', String(spec.spentPicos)],
    ['limit', String(spec.limitPicos)],
  ];
  const exp = Math.floor(spec.at + LINK_MS);
  return `${baseUrl.replace(/\/+$/, '')}/spend?${signQuery(secret, 'spend', fields, exp).toString()}`;
}

export function readSpendLink(secret: string, q: URLSearchParams, now: number): { check: 'ok'; spec: SpendSpec } | { check: Exclude<LinkCheck, 'ok'> } {
  const check = verifyQuery(secret, 'spend', FIELDS, q, now);
  if (check !== 'ok') return { check };
  const times = ['from', 'reset', 'at'].map((k) => (/^-?\d{1,16}$/.test(q.get(k) ?? '') ? Number(q.get(k)) : NaN));
  const amounts = ['spent', 'limit'].map((k) => q.get(k) ?? '');
  if (times.some((t) => !Number.isSafeInteger(t)) || !amounts.every((a) => /^-?\d{1,30}$/.test(a))) return { check: 'bad_signature' };
  const [windowStart, resetsAt, at] = times as [number, number, number];
  return {
    check,
    spec: { budgetId: q.get('b') ?? '', budgetName: q.get('n') || null, scope: q.get('s') ?? '', window: q.get('w') ?? '', windowStart, resetsAt, at, spentPicos: BigInt(amounts[0]!), limitPicos: BigInt(amounts[1]!) },
  };
}

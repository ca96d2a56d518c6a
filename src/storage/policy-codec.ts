import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import type { AuditEntry, Budget, Increase, ModelPolicy, RateLimit } from '../policy/rules.js';
import { type Scope, formatScope, parseScope } from '../policy/scope.js';
import { type WindowSpec, formatWindow, parseWindow } from '../policy/window.js';
import { scalarText } from './schema.js';

/**
 * Rules are stored as JSON documents, in the forms people write them: scopes as
 * `kind:value`, windows as `month` or `5h`, and money as a decimal string of picos
 * (JSON numbers are doubles). Reading a document validates it and rebuilds the exact types.
 */

type Row = Record<string, unknown>;

const picos = z.string().regex(/^-?\d+$/).transform((s) => BigInt(s));
const scope = z.string().transform((s) => parseScope(s));
const window = z.string().transform((s) => parseWindow(s));
const source = z.enum(['config', 'api']);
const fail = z.enum(['open', 'closed']);

const BUDGET = z.object({
  id: z.string(),
  kind: z.enum(['budget', 'pool']),
  name: z.string().nullable(),
  scope,
  window,
  limitPicos: picos,
  thresholds: z.array(z.number()),
  fail,
  pool: z.string().nullable(),
  downgrade: z.object({ atPercent: z.number(), to: z.string() }).nullable(),
  enforceMaxTokens: z.boolean(),
  source,
  createdAt: z.number(),
});

const RATE_LIMIT = z.object({
  id: z.string(),
  name: z.string().nullable(),
  scope,
  rpm: z.number().nullable(),
  tpm: z.number().nullable(),
  concurrency: z.number().nullable(),
  fail,
  source,
  createdAt: z.number(),
});

const MODEL_POLICY = z.object({
  id: z.string(),
  name: z.string().nullable(),
  scope,
  allow: z.array(z.string()).nullable(),
  deny: z.array(z.string()),
  rewrites: z.array(z.object({ from: z.string(), to: z.string() })),
  allowKeep: z.boolean(),
  source,
  createdAt: z.number(),
});

/** The part of an increase fixed when it is requested; its decision lives in columns. */
const INCREASE_REQUEST = z.object({
  scope,
  budgetId: z.string().nullable(),
  amountPicos: picos,
  hours: z.number(),
  reason: z.string(),
  requestedBy: z.string(),
});

const INCREASE_STATUS = z.enum(['pending', 'approved', 'denied', 'expired']);

export function encodeBudget(b: Budget): string {
  return JSON.stringify({ ...b, scope: scopeText(b.scope), window: windowText(b.window), limitPicos: b.limitPicos.toString() });
}

export function decodeBudget(doc: unknown): Budget {
  return BUDGET.parse(json(doc));
}

export function encodeRateLimit(r: RateLimit): string {
  return JSON.stringify({ ...r, scope: scopeText(r.scope) });
}

export function decodeRateLimit(doc: unknown): RateLimit {
  return RATE_LIMIT.parse(json(doc));
}

export function encodeModelPolicy(p: ModelPolicy): string {
  return JSON.stringify({ ...p, scope: scopeText(p.scope) });
}

export function decodeModelPolicy(doc: unknown): ModelPolicy {
  return MODEL_POLICY.parse(json(doc));
}

export function encodeIncreaseRequest(i: Increase): string {
  const { scope: s, budgetId, amountPicos, hours, reason, requestedBy } = i;
  return JSON.stringify({ scope: scopeText(s), budgetId, amountPicos: amountPicos.toString(), hours, reason, requestedBy });
}

/** An increase from its `increases` row: the request from `doc`, the decision from the columns. */
export function increaseFromRecord(rec: Row): Increase {
  return {
    id: String(rec.id),
    ...INCREASE_REQUEST.parse(json(rec.doc)),
    status: INCREASE_STATUS.parse(rec.status),
    createdAt: Number(rec.created_at),
    decidedAt: numberOrNull(rec.decided_at),
    decidedBy: textOrNull(rec.decided_by),
    note: textOrNull(rec.note),
    expiresAt: numberOrNull(rec.expires_at),
  };
}

/** Audit details as JSON; a bigint (an amount) is written as its decimal string. */
export function encodeDetails(details: Record<string, unknown>): string {
  return JSON.stringify(details, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

export function auditFromRecord(rec: Row): AuditEntry {
  return {
    id: String(rec.id),
    ts: Number(rec.ts),
    actor: String(rec.actor),
    action: String(rec.action),
    subject: String(rec.subject),
    details: z.record(z.string(), z.unknown()).parse(json(rec.details)),
  };
}

/** SQLite returns JSON columns as text, Postgres (jsonb) as parsed values. */
function json(v: unknown): unknown {
  return typeof v === 'string' ? JSON.parse(v) : v;
}

function numberOrNull(v: unknown): number | null {
  return v === null || v === undefined ? null : Number(v);
}

function textOrNull(v: unknown): string | null {
  return v === null || v === undefined ? null : scalarText(v);
}

// A rule whose scope or window would not read back would make every rule unreadable, so it is refused on the way in.
function scopeText(s: Scope): string {
  return readable(s, formatScope(s), parseScope);
}

function windowText(w: WindowSpec): string {
  return readable(w, formatWindow(w), parseWindow);
}

function readable<T>(value: T, text: string, parse: (text: string) => T): string {
  if (!isDeepStrictEqual(parse(text), value)) throw new RangeError(`"${text}" does not read back as the value it was written from`);
  return text;
}

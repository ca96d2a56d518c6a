import { z } from 'zod';
import { closest } from '../core/closest.js';
import { plainIssue } from '../core/issue-text.js';
import { fieldsAt } from '../core/schema-fields.js';
import { usd } from '../core/money.js';
import type { Budget, ModelPolicy, RateLimit, RuleSource } from './rules.js';
import { type Scope, formatScope, isIdentityScope, parseScope } from './scope.js';
import { formatWindow, parseWindow } from './window.js';

/**
 * Rules as people write them (config file, admin API JSON, CLI flags), in snake_case.
 * One schema for all three, so a rule means the same wherever it was written.
 */
const id = z.string().regex(/^[a-z0-9][a-z0-9_.:=-]{0,127}$/i, 'must be letters, digits, _ . : = - (up to 128)');
export const scope = z.string().transform((s, ctx) => {
  try {
    return parseScope(s);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});
const window = z.string().transform((s, ctx) => {
  try {
    return parseWindow(s);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});
/** Above any real budget: an amount past it is a typo (1e400 was taken, as 400 digits of dollars). */
export const MAX_AMOUNT_USD = 1_000_000_000_000n;

/** A USD amount (number or decimal string) as exact picodollars, never negative. */
export const amount = z
  .union([z.number(), z.string()], {
    // 1e400 (JSON) and .inf (YAML) arrive as Infinity, which the number kind refuses as it does `true`.
    error: (i) => `must be a USD amount such as 40 or 12.50 (${typeof i.input === 'number' ? 'must be finite' : 'a number of US dollars'}, at most ${MAX_AMOUNT_USD})`,
  })
  .transform((v, ctx) => {
    try {
      const p = usd(v);
      if (p < 0n) throw new RangeError('must not be negative');
      if (p > MAX_AMOUNT_USD * 10n ** 12n) throw new RangeError(`must be at most ${MAX_AMOUNT_USD}`);
      return p;
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: `must be a USD amount such as 40 or 12.50 (${(err as Error).message})` });
      return z.NEVER;
    }
  });
const fail = z.enum(['open', 'closed'], { error: 'must be open or closed' });

export const budgetInput = z.strictObject({
  id: id.optional(),
  name: z.string().min(1).max(200).optional(),
  scope,
  window,
  limit_usd: amount,
  thresholds: z.array(z.number().int().min(1).max(1000)).max(10).optional(),
  fail: fail.optional(),
  pool: id.optional(),
  downgrade: z.strictObject({ at_percent: z.number().min(1).max(100), to: z.string().min(1) }).optional(),
  enforce_max_tokens: z.boolean().optional(),
});

export const poolInput = z.strictObject({
  id: id.optional(),
  name: z.string().min(1).max(200).optional(),
  scope,
  window,
  limit_usd: amount,
  thresholds: z.array(z.number().int().min(1).max(1000)).max(10).optional(),
  fail: fail.optional(),
});

export const rateLimitInput = z
  .strictObject({
    id: id.optional(),
    name: z.string().min(1).max(200).optional(),
    scope,
    rpm: z.number().int().positive().optional(),
    tpm: z.number().int().positive().optional(),
    concurrency: z.number().int().positive().optional(),
    fail: fail.optional(),
  })
  .refine((r) => r.rpm !== undefined || r.tpm !== undefined || r.concurrency !== undefined, 'set at least one of rpm, tpm, concurrency');

const globs = z.array(z.string().min(1)).max(200);
export const modelPolicyInput = z.strictObject({
  id: id.optional(),
  name: z.string().min(1).max(200).optional(),
  scope: scope.refine(isIdentityScope, 'a model policy applies to org, key, user, team or project'),
  allow: globs.optional(),
  deny: globs.optional(),
  rewrite: z.array(z.strictObject({ from: z.string().min(1), to: z.string().min(1) })).max(100).optional(),
  allow_keep: z.boolean().optional(),
});

export type BudgetInput = z.input<typeof budgetInput>;
export type RateLimitInput = z.input<typeof rateLimitInput>;
export type ModelPolicyInput = z.input<typeof modelPolicyInput>;

const DEFAULT_THRESHOLDS = [50, 80, 100];

/** A stable id from what the rule covers, so setting the same scope and window again updates it. */
function derivedId(prefix: string, s: Scope, extra = ''): string {
  const text = `${prefix}:${formatScope(s)}${extra ? `:${extra}` : ''}`;
  return text.replace(/[^a-zA-Z0-9_.:=-]/g, '_').slice(0, 128);
}

export function toBudget(input: z.output<typeof budgetInput> | z.output<typeof poolInput>, kind: 'budget' | 'pool', source: RuleSource, now: number): Budget {
  const b = input as z.output<typeof budgetInput>;
  return {
    id: b.id ?? derivedId(kind, b.scope, formatWindow(b.window)),
    kind,
    name: b.name ?? null,
    scope: b.scope,
    window: b.window,
    limitPicos: b.limit_usd,
    thresholds: [...new Set(b.thresholds ?? DEFAULT_THRESHOLDS)].sort((x, y) => x - y),
    fail: b.fail ?? 'open',
    pool: kind === 'budget' ? (b.pool ?? null) : null,
    downgrade: kind === 'budget' && b.downgrade ? { atPercent: b.downgrade.at_percent, to: b.downgrade.to } : null,
    enforceMaxTokens: kind === 'budget' ? (b.enforce_max_tokens ?? false) : false,
    source,
    createdAt: now,
  };
}

export function toRateLimit(r: z.output<typeof rateLimitInput>, source: RuleSource, now: number): RateLimit {
  return {
    id: r.id ?? derivedId('limit', r.scope),
    name: r.name ?? null,
    scope: r.scope,
    rpm: r.rpm ?? null,
    tpm: r.tpm ?? null,
    concurrency: r.concurrency ?? null,
    fail: r.fail ?? 'open',
    source,
    createdAt: now,
  };
}

export function toModelPolicy(p: z.output<typeof modelPolicyInput>, source: RuleSource, now: number): ModelPolicy {
  return {
    id: p.id ?? derivedId('models', p.scope),
    name: p.name ?? null,
    scope: p.scope,
    allow: p.allow ?? null,
    deny: p.deny ?? [],
    rewrites: p.rewrite ?? [],
    allowKeep: p.allow_keep ?? true,
    source,
    createdAt: now,
  };
}

/** Parses one rule from untrusted JSON; throws RangeError naming the bad field. */
export function parseRule<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  // A misspelt field first: its right name is then missing too, and "limit_usd is required" hides the cause.
  const issue = r.error.issues.find((i) => i.code === 'unrecognized_keys') ?? r.error.issues[0]!;
  const where = issue.path.length ? issue.path.join('.') : 'rule';
  if (issue.code === 'unrecognized_keys') {
    const unknown = unknownFields(issue.keys, fieldsAt(schema, issue.path));
    throw new RangeError(issue.path.length ? `${where}: ${unknown}` : unknown);
  }
  throw new RangeError(`${where}: ${plainIssue(issue)}`);
}

/** `unknown field "limit" (did you mean "limit_usd"?); it takes …`, as the other admin bodies say it. */
function unknownFields(keys: readonly string[], takes: readonly string[]): string {
  const hint = keys.length === 1 && keys[0]!.length >= 3 ? closest(keys[0]!, takes) : undefined;
  const named = `unknown field${keys.length === 1 ? '' : 's'} ${keys.map((k) => JSON.stringify(k)).join(', ')}`;
  return `${named}${hint ? ` (did you mean "${hint}"?)` : ''}${takes.length ? `; it takes ${takes.join(', ')}` : ''}`;
}

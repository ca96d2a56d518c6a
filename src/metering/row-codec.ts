import type { AttemptRow, LedgerRow } from '../core/ledger-row.js';

type OptionalKey = 'prefix' | 'responseId' | 'serviceTier' | 'attemptLog';
type RequiredKey = Exclude<keyof LedgerRow, OptionalKey>;

/**
 * The positions of a spool line's values. A field added later is appended, so that a line
 * written before it (a spool replayed after an upgrade) reads it as null.
 */
const FIELDS = [
  'id', 'ts', 'api', 'provider', 'model', 'modelRequested', 'keyId', 'user', 'team', 'project', 'sessionId', 'client', 'tags',
  'stream', 'status', 'outcome', 'errorType', 'latencyMs', 'ttftMs', 'costPicos', 'usageSource', 'unpriced',
  'inputTokens', 'cacheReadTokens', 'cacheWriteTokens', 'cacheWrite1hTokens', 'outputTokens', 'reasoningTokens', 'toolCalls',
  'pool', 'attempts', 'upstreamRequestId', 'source', 'routeRule', 'routeMode', 'routeSavingPicos', 'lastTurnHash',
] as const satisfies readonly RequiredKey[];
// Fails to compile when LedgerRow gains a field that the spool would not carry.
const everyField: [Exclude<RequiredKey, (typeof FIELDS)[number]>] extends [never] ? true : never = true;
void everyField;

/** Marks the positional format; older spools hold one JSON object per line. */
const POSITIONAL = 2;

type WithCost<T> = Omit<T, 'costPicos'> & { costPicos: string | null };
/** The optional fields a row has, or 0 when it has none. */
type Extras = { prefix?: string | null; responseId?: string | null; serviceTier?: string | null; attemptLog?: WithCost<AttemptRow>[] } | 0;

/**
 * One ledger row as one JSON line (the spool's format): `[2, extras, ...values]`, values in
 * FIELDS order. Positional rather than keyed: it costs half as much to write on the
 * request path, where every row is encoded. Money travels as a string: JSON numbers are doubles.
 * Written out field by field, since an array literal encodes in half the time of one filled
 * by looking each field up by name; the codec's tests hold the two orders together.
 */
export function encodeRow(r: LedgerRow): string {
  return `${JSON.stringify([
    POSITIONAL, extrasOf(r),
    r.id, r.ts, r.api, r.provider, r.model, r.modelRequested, r.keyId, r.user, r.team, r.project, r.sessionId, r.client, r.tags,
    r.stream, r.status, r.outcome, r.errorType, r.latencyMs, r.ttftMs, picosText(r.costPicos), r.usageSource, r.unpriced,
    r.inputTokens, r.cacheReadTokens, r.cacheWriteTokens, r.cacheWrite1hTokens, r.outputTokens, r.reasoningTokens, r.toolCalls,
    r.pool, r.attempts, r.upstreamRequestId, r.source, r.routeRule, r.routeMode, picosText(r.routeSavingPicos), r.lastTurnHash,
  ])}\n`;
}

const picosText = (p: bigint | null): string | null => (p === null ? null : p.toString());

function extrasOf(row: LedgerRow): Extras {
  if (row.prefix === undefined && row.responseId === undefined && row.serviceTier === undefined && row.attemptLog === undefined) return 0;
  const e: Exclude<Extras, 0> = {};
  if (row.prefix !== undefined) e.prefix = row.prefix;
  if (row.responseId !== undefined) e.responseId = row.responseId;
  if (row.serviceTier !== undefined) e.serviceTier = row.serviceTier;
  if (row.attemptLog !== undefined) e.attemptLog = row.attemptLog.map((a) => ({ ...a, costPicos: a.costPicos === null ? null : a.costPicos.toString() }));
  return e;
}

/** Reads a spool line, in either format; fields added after a line was written read as null. */
export function decodeRow(line: string): LedgerRow {
  const raw = JSON.parse(line) as unknown;
  if (!Array.isArray(raw)) return decodeKeyed(raw as Keyed);
  if (raw[0] !== POSITIONAL) throw new Error(`spool line of unknown format ${String(raw[0])}`);
  const row: Record<string, unknown> = {};
  for (let i = 0; i < FIELDS.length; i++) row[FIELDS[i]!] = raw[i + 2] ?? null;
  row.costPicos = toPicos(row.costPicos as string | null);
  row.routeSavingPicos = toPicos(row.routeSavingPicos as string | null);
  const extras = raw[1] as Extras;
  if (extras !== 0) {
    if (extras.prefix !== undefined) row.prefix = extras.prefix;
    if (extras.responseId !== undefined) row.responseId = extras.responseId;
    if (extras.serviceTier !== undefined) row.serviceTier = extras.serviceTier;
    if (extras.attemptLog !== undefined) row.attemptLog = attemptsOf(extras.attemptLog);
  }
  return row as unknown as LedgerRow;
}

const toPicos = (s: string | null): bigint | null => (s === null ? null : BigInt(s));
const attemptsOf = (list: WithCost<AttemptRow>[]): AttemptRow[] => list.map((a) => ({ ...a, costPicos: toPicos(a.costPicos) }));

/** A line of the keyed format, written before 2026-12-03. */
type Keyed = Omit<LedgerRow, 'pool' | 'costPicos' | 'routeRule' | 'routeMode' | 'routeSavingPicos' | 'lastTurnHash' | 'attemptLog'> & {
  costPicos: string | null;
  pool?: string | null;
  lastTurnHash?: string | null;
  routeRule?: string | null;
  routeMode?: LedgerRow['routeMode'];
  routeSavingPicos?: string | null;
  attemptLog?: WithCost<AttemptRow>[];
};

function decodeKeyed(raw: Keyed): LedgerRow {
  const { attemptLog, ...rest } = raw;
  const row: LedgerRow = {
    ...rest,
    costPicos: toPicos(raw.costPicos),
    pool: raw.pool ?? null,
    routeRule: raw.routeRule ?? null,
    routeMode: raw.routeMode ?? null,
    routeSavingPicos: toPicos(raw.routeSavingPicos ?? null),
    lastTurnHash: raw.lastTurnHash ?? null,
  };
  if (attemptLog !== undefined) row.attemptLog = attemptsOf(attemptLog);
  return row;
}

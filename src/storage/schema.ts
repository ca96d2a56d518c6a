import { type AttemptRow, type CacheRow, CLIENT_VERSION_TAG, type LedgerRow } from '../core/ledger-row.js';

/**
 * The ledger's columns as schema version 1 created them. Frozen: existing databases were
 * made from this list, and later columns are added by their own migration.
 * `user` is a reserved word in Postgres, so the column is `user_name`.
 */
export const REQUEST_COLUMNS_V1 = [
  'id',
  'ts',
  'api',
  'provider',
  'model',
  'model_requested',
  'key_id',
  'user_name',
  'team',
  'project',
  'session_id',
  'client',
  'tags',
  'stream',
  'status',
  'outcome',
  'error_type',
  'input_tokens',
  'cache_read_tokens',
  'cache_write_tokens',
  'cache_write_1h_tokens',
  'output_tokens',
  'reasoning_tokens',
  'tool_calls',
  'latency_ms',
  'ttft_ms',
  'cost_picos',
  'usage_source',
  'unpriced',
  'attempts',
  'upstream_request_id',
  'source',
] as const;

/** The ledger's columns now, in one place, shared by the SQLite and Postgres adapters. */
export const REQUEST_COLUMNS = [...REQUEST_COLUMNS_V1, 'pool', 'route_rule', 'route_mode', 'route_saving_picos', 'prefix', 'last_turn_hash', 'response_id', 'service_tier'] as const;

/** Rollup grain: one row per hour and combination of these (''-filled) columns. */
export const ROLLUP_DIMENSIONS = ['api', 'provider', 'model', 'key_id', 'user_name', 'team', 'project', 'client'] as const;

/** A rollup's counts, summed as they are. */
export const ROLLUP_COUNTS = [
  'requests',
  'errors',
  'unpriced_requests',
  'input_tokens',
  'cache_read_tokens',
  'cache_write_tokens',
  'cache_write_1h_tokens',
  'output_tokens',
  'reasoning_tokens',
  'tool_calls',
] as const;

/** The measures of version 1's rollups (the hourly ones, until migration 15): the cost in one column. */
export const ROLLUP_MEASURES_V1 = [...ROLLUP_COUNTS, 'cost_picos'] as const;

/**
 * A rollup's measures. One key's cost over an hour or a day can pass the 64-bit range (three
 * $4M requests do), which an upsert cannot add (Postgres fails, SQLite turns it into a float),
 * so the cost is held as whole microdollars and the picodollars left over (migrations 14, 15).
 */
export const ROLLUP_MEASURES = [...ROLLUP_COUNTS, 'cost_micros', 'cost_rest_picos'] as const;

/**
 * Schema version 26: the hourly session rollup also keeps when its requests started, the first
 * and the last (`ts`, epoch ms; null where unknown: rows from before, older than the migration's
 * backfill), so that a past session-hour's burn rate while active can be told from its total
 * (the runaway-session detector, docs/anomalies.md). Not a measure: merged by MIN and MAX.
 */
export const ROLLUP_SPAN = ['first_ts', 'last_ts'] as const;

/** Whether a rollup table keeps the span of its rows' `ts` (only the hourly session rollup). */
export function hasSpan(table: RollupTable): boolean {
  return table === 'rollup_session_hourly';
}

export const HOURLY_ROLLUPS = ['rollup_hourly', 'rollup_session_hourly', 'rollup_tag_hourly', 'rollup_pool_hourly'] as const;
/** Schema version 14: whole UTC days, so that a month's report reads a day's rows once instead of 24 times. */
export const DAILY_ROLLUPS = ['rollup_daily', 'rollup_session_daily', 'rollup_tag_daily', 'rollup_pool_daily'] as const;
export const ROLLUP_TABLES = [...HOURLY_ROLLUPS, ...DAILY_ROLLUPS] as const;
export type RollupTable = (typeof ROLLUP_TABLES)[number];
export type DailyRollup = (typeof DAILY_ROLLUPS)[number];

/**
 * Extra key columns each rollup table has before the shared dimensions. The tag and pool
 * rollups hold only the rows that have a tag or a pool.
 */
export const ROLLUP_EXTRA_KEYS: Record<RollupTable, readonly string[]> = {
  rollup_hourly: [],
  rollup_session_hourly: ['session_id'],
  rollup_tag_hourly: ['tag_key', 'tag_value'],
  rollup_pool_hourly: ['pool'],
  rollup_daily: [],
  rollup_session_daily: ['session_id'],
  rollup_tag_daily: ['tag_key', 'tag_value'],
  rollup_pool_daily: ['pool'],
};

export function isDaily(table: RollupTable): table is DailyRollup {
  return (DAILY_ROLLUPS as readonly string[]).includes(table);
}

/**
 * The shared dimensions a rollup is keyed by. The daily session rollup has none: a session
 * rarely spans hours, so with them it would be nearly as large as the hourly one; without,
 * it holds one row per session and day, what rankings of sessions read.
 */
export function rollupDimensions(table: RollupTable): readonly string[] {
  return table === 'rollup_session_daily' ? [] : ROLLUP_DIMENSIONS;
}

/** The time column of a rollup: the start of its hour or UTC day, in epoch ms. */
export function rollupTimeColumn(table: RollupTable): 'hour' | 'day' {
  return isDaily(table) ? 'day' : 'hour';
}

/** A rollup's key columns: its time, its extra keys, its dimensions. */
export function rollupKeys(table: RollupTable): string[] {
  return [rollupTimeColumn(table), ...ROLLUP_EXTRA_KEYS[table], ...rollupDimensions(table)];
}

/** Picodollars in a microdollar: the split of a rollup's cost. */
export const MICRO_PICOS = 1_000_000n;

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** An outcome that counts as an error in reports. A client abort is not the system failing. */
export function isErrorOutcome(outcome: LedgerRow['outcome']): boolean {
  return outcome !== 'ok' && outcome !== 'client_aborted';
}

/** The row as column values, in REQUEST_COLUMNS order. Booleans become 0/1 (SQLite) or stay booleans (Postgres). */
export function rowValues(r: LedgerRow, bool: (b: boolean) => unknown): unknown[] {
  return [
    r.id,
    r.ts,
    r.api,
    r.provider,
    r.model,
    r.modelRequested,
    r.keyId,
    r.user,
    r.team,
    r.project,
    r.sessionId,
    r.client,
    JSON.stringify(inKeyOrder(r.tags)),
    bool(r.stream),
    r.status,
    r.outcome,
    r.errorType,
    r.inputTokens,
    r.cacheReadTokens,
    r.cacheWriteTokens,
    r.cacheWrite1hTokens,
    r.outputTokens,
    r.reasoningTokens,
    r.toolCalls,
    r.latencyMs,
    r.ttftMs,
    r.costPicos,
    r.usageSource,
    bool(r.unpriced),
    r.attempts,
    r.upstreamRequestId,
    r.source,
    r.pool,
    r.routeRule,
    r.routeMode,
    r.routeSavingPicos,
    r.prefix ?? null,
    r.lastTurnHash,
    r.responseId ?? null,
    r.serviceTier ?? null,
  ];
}

/**
 * Tags with their names in one order, sorted (JavaScript puts names that are whole numbers
 * first whatever is done). Postgres's jsonb keeps its own order (shorter names first), SQLite's
 * text the order the client sent: read back in one order, a row exports the same bytes from either store.
 */
export function inKeyOrder(tags: Record<string, string>): Record<string, string> {
  const names = Object.keys(tags);
  let sorted = true;
  for (let i = 1; i < names.length && sorted; i++) sorted = names[i - 1]! < names[i]!;
  if (sorted) return tags;
  const out: Record<string, string> = {};
  for (const name of names.sort()) out[name] = tags[name]!;
  return out;
}

/** Rebuilds a row from a database record keyed by column name. */
export function rowFromRecord(rec: Record<string, unknown>): LedgerRow {
  const num = (k: string): number => Number(rec[k] ?? 0);
  const str = (k: string): string | null => (rec[k] === null || rec[k] === undefined ? null : scalarText(rec[k]));
  const tags = rec.tags;
  const cost = rec.cost_picos;
  const row: LedgerRow = {
    id: String(rec.id),
    ts: num('ts'),
    api: String(rec.api) as LedgerRow['api'],
    provider: String(rec.provider),
    model: String(rec.model),
    modelRequested: String(rec.model_requested),
    keyId: str('key_id'),
    user: str('user_name'),
    team: str('team'),
    project: str('project'),
    sessionId: str('session_id'),
    client: str('client'),
    tags: inKeyOrder((typeof tags === 'string' ? JSON.parse(tags) : (tags ?? {})) as Record<string, string>),
    stream: rec.stream === true || Number(rec.stream) === 1,
    status: num('status'),
    outcome: String(rec.outcome) as LedgerRow['outcome'],
    errorType: str('error_type'),
    inputTokens: num('input_tokens'),
    cacheReadTokens: num('cache_read_tokens'),
    cacheWriteTokens: num('cache_write_tokens'),
    cacheWrite1hTokens: num('cache_write_1h_tokens'),
    outputTokens: num('output_tokens'),
    reasoningTokens: num('reasoning_tokens'),
    toolCalls: num('tool_calls'),
    latencyMs: num('latency_ms'),
    ttftMs: rec.ttft_ms === null || rec.ttft_ms === undefined ? null : num('ttft_ms'),
    costPicos: cost === null || cost === undefined ? null : BigInt(cost as bigint | number | string),
    usageSource: String(rec.usage_source) as LedgerRow['usageSource'],
    unpriced: rec.unpriced === true || Number(rec.unpriced) === 1,
    attempts: num('attempts'),
    upstreamRequestId: str('upstream_request_id'),
    source: str('source') ?? 'gateway',
    pool: str('pool'),
    routeRule: str('route_rule'),
    routeMode: str('route_mode') as LedgerRow['routeMode'],
    routeSavingPicos: rec.route_saving_picos === null || rec.route_saving_picos === undefined ? null : BigInt(rec.route_saving_picos as bigint | number | string),
    lastTurnHash: str('last_turn_hash'),
  };
  // Left off when absent, so rows that were never hashed read back as they were written.
  const prefix = str('prefix');
  if (prefix !== null) row.prefix = prefix;
  const responseId = str('response_id');
  if (responseId !== null) row.responseId = responseId;
  const serviceTier = str('service_tier');
  if (serviceTier !== null) row.serviceTier = serviceTier;
  return row;
}

/** The tags the cache analyser reads (CacheRow.tags holds only these, and the client's version, selected last). */
export const CACHE_ROW_TAGS = ['workflow', 'cache'] as const;

/**
 * What `cacheRows` selects, in the order cacheRowFromValues reads them: `tag(name)` is the
 * dialect's lookup of one tag in the JSON column, `cost` its exact read of cost_picos. Not the
 * outcome, since only ok rows are read, and of the tags only those the analyser reads, so that
 * no row's tags are parsed in JavaScript.
 */
export function cacheRowSelect(tag: (name: string) => string, cost: string): string[] {
  return [
    'id', 'ts', 'api', 'provider', 'model', 'key_id', 'session_id', ...CACHE_ROW_TAGS.map(tag), 'status',
    'input_tokens', 'cache_read_tokens', 'cache_write_tokens', 'cache_write_1h_tokens', 'output_tokens', 'reasoning_tokens', 'tool_calls',
    cost, 'prefix', 'service_tier', tag(CLIENT_VERSION_TAG),
  ];
}

/**
 * A cache row of an ok request from its cacheRowSelect values in order (a driver's array row
 * mode: no object per record). Integers may come as numbers, bigints or strings; cost exactly.
 */
export function cacheRowFromValues(v: readonly unknown[]): CacheRow {
  const str = (x: unknown): string | null => (x === null || x === undefined ? null : scalarText(x));
  const tags: Record<string, string> = {};
  if (v[7] !== null && v[7] !== undefined) tags.workflow = scalarText(v[7]);
  if (v[8] !== null && v[8] !== undefined) tags.cache = scalarText(v[8]);
  const cost = v[17];
  const row: CacheRow = {
    id: String(v[0]),
    ts: Number(v[1]),
    api: String(v[2]) as LedgerRow['api'],
    provider: String(v[3]),
    model: String(v[4]),
    keyId: str(v[5]),
    sessionId: str(v[6]),
    tags,
    status: Number(v[9]),
    outcome: 'ok',
    inputTokens: Number(v[10] ?? 0),
    cacheReadTokens: Number(v[11] ?? 0),
    cacheWriteTokens: Number(v[12] ?? 0),
    cacheWrite1hTokens: Number(v[13] ?? 0),
    outputTokens: Number(v[14] ?? 0),
    reasoningTokens: Number(v[15] ?? 0),
    toolCalls: Number(v[16] ?? 0),
    costPicos: cost === null || cost === undefined ? null : BigInt(cost as bigint | number | string),
  };
  const prefix = str(v[18]);
  if (prefix !== null) row.prefix = prefix;
  const serviceTier = str(v[19]);
  if (serviceTier !== null) row.serviceTier = serviceTier;
  const version = str(v[20]);
  if (version !== null) tags.client_version = version;
  return row;
}

/** Text of a scalar database value (drivers return strings, numbers or bigints). */
export function scalarText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  return v === null || v === undefined ? '' : JSON.stringify(v);
}

/** The `attempts` table's columns (schema version 3): one row per upstream try, keyed by request id and try number. */
export const ATTEMPT_COLUMNS = [
  'request_id',
  'n',
  'deployment',
  'provider',
  'model',
  'status',
  'outcome',
  'error_type',
  'delivered',
  'input_tokens',
  'cache_read_tokens',
  'cache_write_tokens',
  'cache_write_1h_tokens',
  'output_tokens',
  'reasoning_tokens',
  'tool_calls',
  'usage_source',
  'cost_picos',
  'started_at',
  'latency_ms',
] as const;

export function attemptValues(a: AttemptRow, bool: (b: boolean) => unknown): unknown[] {
  return [
    a.requestId,
    a.n,
    a.deployment,
    a.provider,
    a.model,
    a.status,
    a.outcome,
    a.errorType,
    bool(a.delivered),
    a.inputTokens,
    a.cacheReadTokens,
    a.cacheWriteTokens,
    a.cacheWrite1hTokens,
    a.outputTokens,
    a.reasoningTokens,
    a.toolCalls,
    a.usageSource,
    a.costPicos,
    a.startedAt,
    a.latencyMs,
  ];
}

export function attemptFromRecord(rec: Record<string, unknown>): AttemptRow {
  const num = (k: string): number => Number(rec[k] ?? 0);
  const cost = rec.cost_picos;
  return {
    requestId: String(rec.request_id),
    n: num('n'),
    deployment: String(rec.deployment),
    provider: String(rec.provider),
    model: String(rec.model),
    status: num('status'),
    outcome: String(rec.outcome),
    errorType: rec.error_type === null || rec.error_type === undefined ? null : scalarText(rec.error_type),
    delivered: rec.delivered === true || Number(rec.delivered) === 1,
    inputTokens: num('input_tokens'),
    cacheReadTokens: num('cache_read_tokens'),
    cacheWriteTokens: num('cache_write_tokens'),
    cacheWrite1hTokens: num('cache_write_1h_tokens'),
    outputTokens: num('output_tokens'),
    reasoningTokens: num('reasoning_tokens'),
    toolCalls: num('tool_calls'),
    usageSource: String(rec.usage_source) as AttemptRow['usageSource'],
    costPicos: cost === null || cost === undefined ? null : BigInt(cost as bigint | number | string),
    startedAt: num('started_at'),
    latencyMs: num('latency_ms'),
  };
}

import { REQUEST_COLUMNS, REQUEST_COLUMNS_V1, ROLLUP_MEASURES_V1, type RollupTable, rollupKeys, rollupTimeColumn } from './schema.js';
import { GATEWAY_SOURCE } from './cross-source.js';
import { PENDING_RESPONSE } from './pending-sql.js';

type ColumnType = 'text' | 'int' | 'bigint' | 'bool' | 'json';

/** How each SQL engine spells the column types. */
export interface TypeMap {
  text: string;
  int: string;
  bigint: string;
  bool: string;
  json: string;
  /** An insertion counter: Postgres fills it from a sequence; SQLite has none, so its inserts supply it. */
  serial: string;
  /** Suffix for tables whose primary key is their access path (SQLite: WITHOUT ROWID). */
  keyedTableSuffix: string;
  /**
   * The ledger's arrival column (version 19): which write brought a row, in an order in which the
   * anomaly scheduler can ask what was written since it last looked. `arrivalDefault` fills it
   * where the engine can (Postgres: the writing transaction's id); SQLite's inserts supply it.
   */
  arrival: string;
  arrivalDefault?: string;
}

const REQUEST_TYPES: Record<(typeof REQUEST_COLUMNS)[number], [ColumnType, 'null' | 'not null', string?]> = {
  id: ['text', 'not null'],
  ts: ['bigint', 'not null'],
  api: ['text', 'not null'],
  provider: ['text', 'not null'],
  model: ['text', 'not null'],
  model_requested: ['text', 'not null'],
  key_id: ['text', 'null'],
  user_name: ['text', 'null'],
  team: ['text', 'null'],
  project: ['text', 'null'],
  session_id: ['text', 'null'],
  client: ['text', 'null'],
  tags: ['json', 'not null'],
  stream: ['bool', 'not null'],
  status: ['int', 'not null'],
  outcome: ['text', 'not null'],
  error_type: ['text', 'null'],
  input_tokens: ['bigint', 'not null'],
  cache_read_tokens: ['bigint', 'not null'],
  cache_write_tokens: ['bigint', 'not null'],
  cache_write_1h_tokens: ['bigint', 'not null'],
  output_tokens: ['bigint', 'not null'],
  reasoning_tokens: ['bigint', 'not null'],
  tool_calls: ['int', 'not null'],
  latency_ms: ['int', 'not null'],
  ttft_ms: ['int', 'null'],
  cost_picos: ['bigint', 'null'],
  usage_source: ['text', 'not null'],
  unpriced: ['bool', 'not null'],
  attempts: ['int', 'not null'],
  upstream_request_id: ['text', 'null'],
  source: ['text', 'not null'],
  pool: ['text', 'null'],
  route_rule: ['text', 'null'],
  route_mode: ['text', 'null'],
  route_saving_picos: ['bigint', 'null'],
  prefix: ['text', 'null'],
  last_turn_hash: ['text', 'null'],
  response_id: ['text', 'null'],
  service_tier: ['text', 'null'],
};

function column(name: string, type: ColumnType, nullability: 'null' | 'not null', t: TypeMap): string {
  return `${name} ${t[type]}${nullability === 'not null' ? ' NOT NULL' : ''}`;
}

/** `measures`: the version's, since a migration creates its tables as they were then. */
export function rollupTable(table: RollupTable, t: TypeMap, measures: readonly string[]): string {
  const keys = rollupKeys(table);
  const cols = [
    column(rollupTimeColumn(table), 'bigint', 'not null', t),
    ...keys.slice(1).map((c) => `${c} ${t.text} NOT NULL DEFAULT ''`),
    ...measures.map((m) => `${m} ${t.bigint} NOT NULL DEFAULT 0`),
  ];
  return `CREATE TABLE ${table} (${cols.join(', ')}, PRIMARY KEY (${keys.join(', ')}))${t.keyedTableSuffix}`;
}

/** Version 1 of the schema: the ledger, its rollups and the virtual keys. Frozen, like every released version. */
export function schemaV1(t: TypeMap): string[] {
  const requestCols = REQUEST_COLUMNS_V1.map((c) => {
    const [type, nullability] = REQUEST_TYPES[c];
    return column(c, type, nullability, t) + (c === 'id' ? ' PRIMARY KEY' : '');
  });
  return [
    `CREATE TABLE requests (${requestCols.join(', ')})`,
    'CREATE INDEX requests_ts ON requests (ts)',
    'CREATE INDEX requests_session ON requests (session_id, ts)',
    rollupTable('rollup_hourly', t, ROLLUP_MEASURES_V1),
    rollupTable('rollup_session_hourly', t, ROLLUP_MEASURES_V1),
    rollupTable('rollup_tag_hourly', t, ROLLUP_MEASURES_V1),
    `CREATE TABLE api_keys (id ${t.text} PRIMARY KEY, hash ${t.text} NOT NULL UNIQUE, prefix ${t.text} NOT NULL, user_name ${t.text}, team ${t.text}, project ${t.text}, name ${t.text}, created_at ${t.bigint} NOT NULL, revoked_at ${t.bigint})`,
  ];
}

/**
 * Version 2: the pool that paid for each request and its rollup, and the policy tables.
 * Rules are stored whole as JSON documents (see policy-codec.ts); increases keep their
 * decision in columns so that deciding one is a single compare-and-set UPDATE.
 */
export function schemaV2(t: TypeMap): string[] {
  const [type, nullability] = REQUEST_TYPES.pool;
  const rule = (table: string, extra: string[] = []) =>
    `CREATE TABLE ${table} (${[`id ${t.text} PRIMARY KEY`, ...extra, `doc ${t.json} NOT NULL`, `created_at ${t.bigint} NOT NULL`].join(', ')})`;
  return [
    `ALTER TABLE requests ADD COLUMN ${column('pool', type, nullability, t)}`,
    rollupTable('rollup_pool_hourly', t, ROLLUP_MEASURES_V1),
    rule('budgets', [`kind ${t.text} NOT NULL`]),
    rule('rate_limits'),
    rule('model_policies'),
    `CREATE TABLE increases (id ${t.text} PRIMARY KEY, status ${t.text} NOT NULL, created_at ${t.bigint} NOT NULL, decided_at ${t.bigint}, decided_by ${t.text}, note ${t.text}, expires_at ${t.bigint}, doc ${t.json} NOT NULL)`,
    'CREATE INDEX increases_status ON increases (status, created_at)',
    `CREATE TABLE audit_log (id ${t.text} PRIMARY KEY, seq ${t.serial} NOT NULL, ts ${t.bigint} NOT NULL, actor ${t.text} NOT NULL, action ${t.text} NOT NULL, subject ${t.text} NOT NULL, details ${t.json} NOT NULL)`,
    'CREATE INDEX audit_log_ts ON audit_log (ts, seq)',
    `CREATE TABLE alert_claims (key ${t.text} PRIMARY KEY, at ${t.bigint} NOT NULL)${t.keyedTableSuffix}`,
  ];
}

/**
 * Version 3: every upstream try of a request (retries and fallbacks), with its own status,
 * usage and cost. Written in the same transaction as its request row.
 */
export function schemaV3(t: TypeMap): string[] {
  const b = t.bigint;
  return [
    `CREATE TABLE attempts (request_id ${t.text} NOT NULL, n ${t.int} NOT NULL, deployment ${t.text} NOT NULL, provider ${t.text} NOT NULL, model ${t.text} NOT NULL, ` +
      `status ${t.int} NOT NULL, outcome ${t.text} NOT NULL, error_type ${t.text}, delivered ${t.bool} NOT NULL, input_tokens ${b} NOT NULL, cache_read_tokens ${b} NOT NULL, ` +
      `cache_write_tokens ${b} NOT NULL, cache_write_1h_tokens ${b} NOT NULL, output_tokens ${b} NOT NULL, reasoning_tokens ${b} NOT NULL, tool_calls ${t.int} NOT NULL, ` +
      `usage_source ${t.text} NOT NULL, cost_picos ${b}, started_at ${b} NOT NULL, latency_ms ${t.int} NOT NULL, PRIMARY KEY (request_id, n))${t.keyedTableSuffix}`,
    'CREATE INDEX attempts_started ON attempts (started_at)',
    'CREATE INDEX attempts_deployment ON attempts (deployment, started_at)',
  ];
}

/**
 * Version 4: the routing rule recorded for each request, its mode and its saving
 * (docs/routing-rules.md). `report --by rule` reads raw rows that have a rule, through
 * a partial index that holds only those.
 */
export function schemaV4(t: TypeMap): string[] {
  const add = (c: 'route_rule' | 'route_mode' | 'route_saving_picos') => `ALTER TABLE requests ADD COLUMN ${column(c, REQUEST_TYPES[c][0], REQUEST_TYPES[c][1], t)}`;
  return [add('route_rule'), add('route_mode'), add('route_saving_picos'), 'CREATE INDEX requests_route_rule ON requests (ts) WHERE route_rule IS NOT NULL'];
}

/**
 * Version 5: rows are looked up by the provider's request id, so that a request seen by two
 * sources (the gateway and a log import) counts once. Not UNIQUE: older ledgers may hold duplicates.
 */
export function schemaV5(): string[] {
  return ['CREATE INDEX requests_upstream_request_id ON requests (upstream_request_id)'];
}

/**
 * Version 6: Claude Code's usage counters, kept as a cross-check series beside the ledger
 * (see src/telemetry). Points are few (one per session, model and type a minute).
 */
export function schemaV6(t: TypeMap): string[] {
  return [
    `CREATE TABLE telemetry_points (id ${t.text} PRIMARY KEY, ts ${t.bigint} NOT NULL, metric ${t.text} NOT NULL, session_id ${t.text}, user_name ${t.text}, model ${t.text}, token_type ${t.text}, tokens ${t.bigint} NOT NULL, cost_picos ${t.bigint} NOT NULL)`,
    'CREATE INDEX telemetry_points_ts ON telemetry_points (ts)',
  ];
}

/** Version 7: outcomes (merged PRs, closed tickets…) that reports divide spend by. */
export function schemaV7(t: TypeMap): string[] {
  return [
    `CREATE TABLE outcomes (id ${t.text} PRIMARY KEY, kind ${t.text} NOT NULL, ts ${t.bigint} NOT NULL, session_id ${t.text}, user_name ${t.text}, tag_key ${t.text}, tag_value ${t.text}, value_micros ${t.bigint} NOT NULL, created_at ${t.bigint} NOT NULL)`,
    'CREATE INDEX outcomes_ts ON outcomes (ts)',
    'CREATE INDEX outcomes_kind_ts ON outcomes (kind, ts)',
  ];
}

/** Version 8: each request's prompt prefix as block hashes, for the cache analyser (JSON text, never the prompt). */
export function schemaV8(t: TypeMap): string[] {
  const [type, nullability] = REQUEST_TYPES.prefix;
  return [`ALTER TABLE requests ADD COLUMN ${column('prefix', type, nullability, t)}`];
}

/** Version 9: a hash of each request's last turn, for the agent-loop detector (src/anomalies). */
export function schemaV9(t: TypeMap): string[] {
  const [type, nullability] = REQUEST_TYPES.last_turn_hash;
  return [`ALTER TABLE requests ADD COLUMN ${column('last_turn_hash', type, nullability, t)}`];
}

/**
 * Version 13: the cross-source lookup asks whether another source recorded an upstream id.
 * On an index of the id alone, an id that repeats (an upstream that sends a fixed or no
 * unique request id) made every insert scan all its earlier rows, so inserts slowed as the
 * ledger grew. With the source in the index, the question is two range seeks.
 */
export function schemaV13(): string[] {
  return ['DROP INDEX requests_upstream_request_id', 'CREATE INDEX requests_upstream_source ON requests (upstream_request_id, source)'];
}

/**
 * Version 18: only rows of sources other than the gateway are indexed by upstream id (see
 * storage/cross-source.ts). Gateway ids are random, so their index cost a page write per
 * insert on a large ledger; gateway rows are found by session and time instead.
 */
export function schemaV18(): string[] {
  return ['DROP INDEX requests_upstream_source', `CREATE INDEX requests_upstream_other ON requests (upstream_request_id, source) WHERE source <> '${GATEWAY_SOURCE}'`];
}

/**
 * Version 16: the provider's response id (the body's `id`, Gemini's `responseId`), so that a
 * GenAI span or a log line that carries only that id is matched to the gateway's row of the
 * same call. No index: only rows from other sources look it up, in a time window through the
 * ts index, and an index of its own cost the gateway's every insert a third more CPU
 * (src/storage/cross-source.ts).
 */
export function schemaV16(t: TypeMap): string[] {
  const [type, nullability] = REQUEST_TYPES.response_id;
  return [`ALTER TABLE requests ADD COLUMN ${column('response_id', type, nullability, t)}`];
}

/**
 * Version 21: background responses still without usage, by response id. A Responses request made
 * with `background: true` is recorded `queued`, usage none; its usage comes when it is looked up
 * finished, maybe through another replica or after a restart, and goes onto that creation row
 * (src/metering/background-usage.ts). Partial: other rows (nearly all) are not in it, so an
 * insert pays only the test of its predicate (see schemaV16 on what a full index cost).
 */
export function schemaV21(): string[] {
  return [`CREATE INDEX requests_pending_response ON requests (response_id) WHERE ${PENDING_RESPONSE}`];
}

/**
 * Version 22: the same rows by time, for the sweep that asks the provider about background
 * responses nobody looked up (src/metering/deferred-usage-sweep.ts). Partial like version 21's.
 */
export function schemaV22(): string[] {
  return [`CREATE INDEX requests_pending_ts ON requests (ts, id) WHERE ${PENDING_RESPONSE}`];
}

/** Version 24: a virtual key may expire (`keys create --expires 30d`); null, as every earlier key, never does. */
export function schemaV24(t: TypeMap): string[] {
  return [`ALTER TABLE api_keys ADD COLUMN expires_at ${t.bigint}`];
}

/**
 * Version 25: alerts waiting for their webhooks (src/alerts/outbox.ts), so that one raised while
 * its receiver is down, or the gateway stops, is delivered later rather than lost.
 */
export function schemaV25(t: TypeMap): string[] {
  return [
    `CREATE TABLE alert_outbox (id ${t.text} PRIMARY KEY, target ${t.text} NOT NULL, body ${t.text} NOT NULL, created_at ${t.bigint} NOT NULL, next_at ${t.bigint} NOT NULL, tries ${t.int} NOT NULL, last_error ${t.text}, lease_owner ${t.text}, lease_until ${t.bigint} NOT NULL)`,
    'CREATE INDEX alert_outbox_due ON alert_outbox (target, next_at)',
  ];
}

/**
 * Input tokens past which a request may be billed at a long-context tier (the catalog's lowest tier
 * starts here): `explain` reads such requests one by one (points.ts `longRequests`), through this index.
 */
export const LONG_INPUT_TOKENS = 128_000;

/** The long requests by time, so that reading them does not read every row of a window. */
export function schemaV29(): string[] {
  return [`CREATE INDEX requests_long ON requests (ts) WHERE input_tokens > ${LONG_INPUT_TOKENS}`];
}

/** Version 28: spend imports wrote, until a gateway adds it to its budget counters (budget-charges.ts). */
export function schemaV28(t: TypeMap): string[] {
  return [`CREATE TABLE budget_charges (id ${t.text} PRIMARY KEY, ts ${t.bigint} NOT NULL, spend ${t.text} NOT NULL)`, 'CREATE INDEX budget_charges_ts ON budget_charges (ts)'];
}

/**
 * Version 30: the tier each request was priced at (core/service-tier.ts; null at the standard price, as on every earlier row),
 * and a partial index of the rows that have one, by time, for `explain` (points.ts): a standard row's insert only tests its predicate.
 */
export function schemaV30(t: TypeMap): string[] {
  const [type, nullability] = REQUEST_TYPES.service_tier;
  return [`ALTER TABLE requests ADD COLUMN ${column('service_tier', type, nullability, t)}`, 'CREATE INDEX requests_tiered ON requests (ts) WHERE service_tier IS NOT NULL'];
}

/**
 * Version 34: the gateway rows of a spawned sub-agent (an `agent_id` tag) by that tag and time, for matching a Codex
 * sub-agent's telemetry or rollout row to the gateway's (cross-source.ts `agentRowsSql`): without it that
 * read took every gateway row of a 30-minute window. A row without the tag only tests the predicate.
 * `->> 'agent_id'` reads the tag on both engines (SQLite takes a plain label as Postgres does).
 */
export function schemaV34(): string[] {
  return ["CREATE INDEX requests_agent ON requests ((tags ->> 'agent_id'), ts) WHERE (tags ->> 'agent_id') IS NOT NULL"];
}

/**
 * Version 35: other sources' rows without a provider id (a Codex telemetry event, an older rollout's token count) by
 * session and time, for the gateway rows that may replace one (cross-source-replace.ts `REPLACEABLE_ROWS_SQL`, whose
 * WHERE repeats this predicate so that both engines take the index): through requests_session that read took every
 * row of each session's 30-minute window, once per gateway batch. A gateway row's insert only tests the predicate.
 */
export function schemaV35(): string[] {
  return ["CREATE INDEX requests_idless_other ON requests (session_id, ts) WHERE source <> 'gateway' AND (upstream_request_id IS NULL OR upstream_request_id = '')"];
}

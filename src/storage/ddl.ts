import { REQUEST_COLUMNS, REQUEST_COLUMNS_V1, ROLLUP_DIMENSIONS, ROLLUP_EXTRA_KEYS, ROLLUP_MEASURES, type RollupTable } from './schema.js';

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
};

function column(name: string, type: ColumnType, nullability: 'null' | 'not null', t: TypeMap): string {
  return `${name} ${t[type]}${nullability === 'not null' ? ' NOT NULL' : ''}`;
}

function rollupTable(table: RollupTable, t: TypeMap): string {
  const keys = ['hour', ...ROLLUP_EXTRA_KEYS[table], ...ROLLUP_DIMENSIONS];
  const cols = [
    column('hour', 'bigint', 'not null', t),
    ...[...ROLLUP_EXTRA_KEYS[table], ...ROLLUP_DIMENSIONS].map((c) => `${c} ${t.text} NOT NULL DEFAULT ''`),
    ...ROLLUP_MEASURES.map((m) => `${m} ${t.bigint} NOT NULL DEFAULT 0`),
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
    rollupTable('rollup_hourly', t),
    rollupTable('rollup_session_hourly', t),
    rollupTable('rollup_tag_hourly', t),
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
    rollupTable('rollup_pool_hourly', t),
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
 * Version 5: rows are looked up by the provider's request id, so that a request seen by two
 * sources (the gateway and a log import) counts once. Not UNIQUE: older ledgers may hold duplicates.
 */
export function schemaV5(): string[] {
  return ['CREATE INDEX requests_upstream_request_id ON requests (upstream_request_id)'];
}

/** Ordered migrations; each entry's statements run in one transaction. */
export function migrations(t: TypeMap): { version: number; statements: string[] }[] {
  return [
    { version: 1, statements: schemaV1(t) },
    { version: 2, statements: schemaV2(t) },
    { version: 5, statements: schemaV5() },
  ];
}

/** The UPSERT that adds a delta to a rollup row (same syntax in SQLite ≥ 3.24 and Postgres). */
export function rollupUpsertSql(table: RollupTable, param: (i: number) => string): string {
  const keys = ['hour', ...ROLLUP_EXTRA_KEYS[table], ...ROLLUP_DIMENSIONS];
  const cols = [...keys, ...ROLLUP_MEASURES];
  return (
    `INSERT INTO ${table} (${cols.join(', ')}) VALUES (${cols.map((_, i) => param(i + 1)).join(', ')}) ` +
    `ON CONFLICT (${keys.join(', ')}) DO UPDATE SET ${ROLLUP_MEASURES.map((m) => `${m} = ${table}.${m} + excluded.${m}`).join(', ')}`
  );
}

import type { LedgerRow } from '../core/ledger-row.js';
import type { SqlDialect, SqlRunner } from './aggregate.js';
import type { CallerTotals, ExampleSubject, LongRequests, RequestPoint, TieredRequests, TimeFilter } from './ports.js';
import { LONG_INPUT_TOKENS } from './ddl.js';
import { scalarText } from './schema.js';
import { timeTerms } from './time-window.js';

const COLUMNS = 'id, ts, session_id, key_id, user_name, client, model, status, outcome, attempts, input_tokens, output_tokens, tool_calls, cost_picos, last_turn_hash';

// The SQL spellings of the per-request detectors' notions (src/anomalies/retry-storm.ts and
// agent-loop.ts hold the same rules in TypeScript; the storage contract checks they agree).
/** A failed request: an error outcome, a 429 or a 5xx. */
const FAILED = `(outcome <> 'rejected' AND (outcome NOT IN ('ok', 'client_aborted') OR status = 429 OR status >= 500))`;
/** Who sent it: its key, else its user, else its client. */
const CALLER = `CASE WHEN COALESCE(key_id, '') <> '' THEN 'key:' || key_id WHEN COALESCE(user_name, '') <> '' THEN 'user:' || user_name ELSE 'client:' || COALESCE(client, 'unknown') END`;
/** The step a request repeats: its last turn's hash, else its tool-call count and output length (NULL: no step). */
const STEP = `CASE WHEN COALESCE(last_turn_hash, '') <> '' THEN 'h:' || last_turn_hash WHEN tool_calls > 0 THEN 't:' || tool_calls || ':' || output_tokens END`;
const SPLIT = 1_000_000n;
/** Sessions (and at most as many steps) per read of repeated steps: well under both engines' limits on parameters. */
const SESSIONS_PER_READ = 500;

type Param = (i: number) => string;

function where(filter: TimeFilter, params: unknown[], param: Param, extra: string[] = []): string {
  const terms = [...timeTerms(filter, params, param), ...extra];
  return terms.length ? ` WHERE ${terms.join(' AND ')}` : '';
}

/** The request points of a window, for both SQL engines (`param` spells the i-th placeholder). */
export async function requestPoints(run: SqlRunner, param: Param, filter: TimeFilter): Promise<RequestPoint[]> {
  const params: unknown[] = [];
  const rows = await run(`SELECT ${COLUMNS} FROM requests${where(filter, params, param)} ORDER BY ts, id`, params);
  return rows.map(toPoint);
}

/**
 * Only the points whose session and step occur `minRepeats` times or more in the window:
 * the few rows an agent loop could be made of. The database counts the steps (GROUP BY over
 * the `ts` index), then only the sessions with a repeated step are read, through their index.
 */
export async function repeatedSteps(run: SqlRunner, param: Param, filter: TimeFilter, minRepeats: number): Promise<RequestPoint[]> {
  const params: unknown[] = [];
  const scope = where(filter, params, param, ["session_id <> ''", `${STEP} IS NOT NULL`]);
  const groups = await run(`SELECT session_id, ${STEP} AS step FROM requests${scope} GROUP BY 1, 2 HAVING COUNT(*) >= ${param(params.push(minRepeats))}`, params);
  const wanted = new Map<string, Set<string>>();
  for (const g of groups) {
    const session = scalarText(g.session_id);
    (wanted.get(session) ?? wanted.set(session, new Set()).get(session)!).add(scalarText(g.step));
  }
  const sessions = [...wanted.keys()];
  const out: RequestPoint[] = [];
  for (let i = 0; i < sessions.length; i += SESSIONS_PER_READ) {
    const chunk = sessions.slice(i, i + SESSIONS_PER_READ);
    const steps = new Set(chunk.flatMap((x) => [...wanted.get(x)!]));
    const p: unknown[] = [];
    const list = (xs: Iterable<string>) => [...xs].map((x) => param(p.push(x))).join(', ');
    // The step filter only spares reading other rows of these sessions; the check below is what decides.
    const terms = [...timeTerms(filter, p, param), `session_id IN (${list(chunk)})`, ...(steps.size <= SESSIONS_PER_READ ? [`${STEP} IN (${list(steps)})`] : [])];
    for (const r of await run(`SELECT ${COLUMNS}, ${STEP} AS step FROM requests WHERE ${terms.join(' AND ')} ORDER BY ts, id`, p)) {
      if (wanted.get(scalarText(r.session_id))!.has(scalarText(r.step))) out.push(toPoint(r));
    }
  }
  // Each read is in (ts, id) order and holds whole sessions: a stable sort on ts merges them and keeps each session's order.
  return sessions.length > SESSIONS_PER_READ ? out.sort((a, b) => a.ts - b.ts) : out;
}

/** Each caller's requests, failures, upstream retries and failure cost over a window, summed in SQL. */
export async function callerTotals(run: SqlRunner, param: Param, filter: TimeFilter): Promise<CallerTotals[]> {
  const params: unknown[] = [];
  const failedCost = (op: '/' | '%') => `SUM(CASE WHEN ${FAILED} THEN COALESCE(cost_picos, 0) ${op} ${SPLIT} ELSE 0 END)`;
  const sql =
    `SELECT ${CALLER} AS caller, COUNT(*) AS requests, SUM(CASE WHEN ${FAILED} THEN 1 ELSE 0 END) AS failed, ` +
    `SUM(CASE WHEN attempts > 1 THEN attempts - 1 ELSE 0 END) AS retries, ${failedCost('/')} AS cost_q, ${failedCost('%')} AS cost_r, ` +
    `MIN(CASE WHEN ${FAILED} AND user_name <> '' THEN user_name END) AS user_lo, MAX(CASE WHEN ${FAILED} AND user_name <> '' THEN user_name END) AS user_hi ` +
    `FROM requests${where(filter, params, param)} GROUP BY 1 ORDER BY 1`;
  const big = (v: unknown) => BigInt((v as bigint | number | string | null) ?? 0);
  return (await run(sql, params)).map((r) => ({
    caller: scalarText(r.caller),
    requests: Number(r.requests),
    failed: Number(r.failed),
    retries: Number(r.retries),
    failedCostPicos: big(r.cost_q) * SPLIT + big(r.cost_r),
    ...(r.user_lo !== null && r.user_lo !== undefined && r.user_lo === r.user_hi ? { user: scalarText(r.user_lo) } : {}),
  }));
}

/** The ids of a caller's first `limit` failed requests in a window (evidence for an alert). */
export async function failedRequestIds(run: SqlRunner, param: Param, filter: TimeFilter, caller: string, limit: number): Promise<string[]> {
  const params: unknown[] = [];
  const terms = [...timeTerms(filter, params, param), `${CALLER} = ${param(params.push(caller))}`, FAILED];
  const rows = await run(`SELECT id FROM requests WHERE ${terms.join(' AND ')} ORDER BY ts, id LIMIT ${param(params.push(limit))}`, params);
  return rows.map((r) => scalarText(r.id));
}

/**
 * The ids of up to `limit` of a subject's requests in a window (evidence for an alert): its
 * costliest (`cost`), or those that read the least of their input from cache, the largest first
 * (`uncached`).
 */
export async function exampleRequestIds(run: SqlRunner, d: SqlDialect, filter: TimeFilter, subject: ExampleSubject, order: 'cost' | 'uncached', limit: number): Promise<string[]> {
  const params: unknown[] = [];
  const param = (i: number) => d.param(i);
  const column = { user: 'user_name', team: 'team', model: 'model', workflow: d.tagExpr('workflow') }[subject.kind];
  const terms = [...timeTerms(filter, params, param), `${column} = ${param(params.push(subject.value))}`];
  if (order === 'uncached') terms.push('input_tokens > 0');
  const by = order === 'cost' ? 'COALESCE(cost_picos, 0) DESC' : '(cache_read_tokens * 1.0) / input_tokens, input_tokens DESC';
  const rows = await run(`SELECT id FROM requests WHERE ${terms.join(' AND ')} ORDER BY ${by}, ts, id LIMIT ${param(params.push(limit))}`, params);
  return rows.map((r) => scalarText(r.id));
}

function toPoint(r: Record<string, unknown>): RequestPoint {
  const text = (v: unknown) => (v === null || v === undefined ? null : scalarText(v));
  return {
    id: scalarText(r.id),
    ts: Number(r.ts),
    sessionId: text(r.session_id),
    keyId: text(r.key_id),
    user: text(r.user_name),
    client: text(r.client),
    model: scalarText(r.model),
    status: Number(r.status),
    outcome: scalarText(r.outcome) as LedgerRow['outcome'],
    attempts: Number(r.attempts),
    inputTokens: Number(r.input_tokens),
    outputTokens: Number(r.output_tokens),
    toolCalls: Number(r.tool_calls),
    costPicos: r.cost_picos === null || r.cost_picos === undefined ? 0n : BigInt(r.cost_picos as bigint | number | string),
    lastTurnHash: text(r.last_turn_hash),
  };
}

/**
 * The window's requests with more than `above` input tokens, per model, provider, user, client,
 * workflow tag and team and per exact counts (identical requests read once, with how many there were).
 * A raw read through the partial index `requests_long` (schema version 29), which holds only such
 * requests: the rollups sum tokens over requests, and a long-context tier prices each request by its own input.
 */
export async function longRequests(run: SqlRunner, d: SqlDialect, f: TimeFilter): Promise<LongRequests[]> {
  const params: unknown[] = [];
  // The threshold as a literal: only then can either engine prove the partial index requests_long applies.
  const where = [...timeTerms(f, params, (i) => d.param(i)), `input_tokens > ${LONG_INPUT_TOKENS}`];
  const keys = groupKeys(d);
  const named = keys.map((k, i) => `${k} AS k${i}`).join(', ');
  const sql = `SELECT ${named}, ${COUNTS}, COUNT(*) AS requests FROM requests WHERE ${where.join(' AND ')} GROUP BY ${keys.join(', ')}, ${COUNTS}`;
  return (await run(sql, params)).map((r) => ({ keys: keys.map((_, i) => scalarText(r[`k${i}`])), ...countsOf(r) }));
}

/**
 * The window's requests billed at a service tier, summed per group (as longRequests's) and tier: a raw
 * read through the partial index `requests_tiered` (schema version 30), which holds only them.
 */
export async function tieredRequests(run: SqlRunner, d: SqlDialect, f: TimeFilter): Promise<TieredRequests[]> {
  const params: unknown[] = [];
  const where = [...timeTerms(f, params, (i) => d.param(i)), 'service_tier IS NOT NULL'];
  const keys = [...groupKeys(d), 'service_tier'];
  const named = keys.map((k, i) => `${k} AS k${i}`).join(', ');
  const sums = COUNTS.split(', ').map((c) => `SUM(${c}) AS ${c}`).join(', ');
  const sql = `SELECT ${named}, ${sums}, COUNT(*) AS requests FROM requests WHERE ${where.join(' AND ')} GROUP BY ${keys.join(', ')}`;
  return (await run(sql, params)).map((r) => {
    const k = keys.map((_, i) => scalarText(r[`k${i}`]));
    return { keys: k.slice(0, -1), tier: k.at(-1)!, ...countsOf(r) };
  });
}

/** What `explain` groups by: model, provider, user, client, workflow tag and team. */
const groupKeys = (d: SqlDialect) => [`COALESCE(model, '')`, `COALESCE(provider, '')`, `COALESCE(user_name, '')`, `COALESCE(client, '')`, d.tagExpr('workflow'), `COALESCE(team, '')`];
const COUNTS = 'input_tokens, cache_read_tokens, cache_write_tokens, cache_write_1h_tokens, output_tokens';

function countsOf(r: Record<string, unknown>): Omit<LongRequests, 'keys'> {
  return {
    inputTokens: Number(r.input_tokens),
    cacheReadTokens: Number(r.cache_read_tokens),
    cacheWriteTokens: Number(r.cache_write_tokens),
    cacheWrite1hTokens: Number(r.cache_write_1h_tokens),
    outputTokens: Number(r.output_tokens),
    requests: Number(r.requests),
  };
}

import type { SqlDialect, SqlRunner } from './aggregate.js';
import type { TagCacheUse } from './ports.js';
import { scalarText } from './schema.js';

/**
 * The window's warm requests summed per value of tag `tag`, model and provider: those whose session
 * had a request to the same model started at most `ttlMs` before them (earlier in (ts, id) order).
 * A prompt cache outlives its last use by its TTL, so such a request can read what that one wrote;
 * a session's first call, or one after a pause, cannot. The window is an index range on `ts`; each of
 * its rows looks for an earlier one among the rows of the window and the `ttlMs` before it (on SQLite
 * through the (session_id, ts) index). Measured cheaper than LAG over the same rows, whose sort
 * spilled to disk on Postgres at 500 requests a second (docs/anomalies.md).
 */
export async function warmCacheUse(run: SqlRunner, dialect: SqlDialect, range: { since: number; until: number }, tag: string, ttlMs: number): Promise<TagCacheUse[]> {
  // Pushed in the order they appear (SQLite's placeholders are positional).
  const params: unknown[] = [];
  const p = (v: number) => dialect.param(params.push(v));
  // The window's rows are `requests` unaliased, so that the tag expression reads theirs; `e` the earlier ones.
  const r = 'requests';
  const window = `${r}.ts >= ${p(range.since)} AND ${r}.ts < ${p(range.until)}`;
  const reach = `e.ts >= ${p(range.since - ttlMs)} AND e.ts < ${p(range.until)}`;
  const earlier = `e.session_id = ${r}.session_id AND e.model = ${r}.model AND e.ts >= ${r}.ts - ${p(ttlMs)} AND (e.ts < ${r}.ts OR (e.ts = ${r}.ts AND e.id < ${r}.id))`;
  const sql =
    `SELECT ${dialect.tagExpr(tag)} AS tag, model, provider, COUNT(*) AS requests, COUNT(DISTINCT session_id) AS sessions, SUM(input_tokens) AS input_tokens, SUM(cache_read_tokens) AS cache_read_tokens, SUM(cache_write_tokens) AS cache_write_tokens ` +
    `FROM requests WHERE ${window} AND session_id <> '' AND EXISTS (SELECT 1 FROM requests e WHERE ${reach} AND ${earlier}) ` +
    `GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`;
  return (await run(sql, params)).map((x) => ({
    tag: scalarText(x.tag),
    model: scalarText(x.model),
    provider: scalarText(x.provider),
    requests: Number(x.requests),
    inputTokens: Number(x.input_tokens),
    cacheReadTokens: Number(x.cache_read_tokens),
    cacheWriteTokens: Number(x.cache_write_tokens),
    sessions: Number(x.sessions),
  }));
}

import { CLIENT_VERSION_TAG } from '../core/ledger-row.js';
import type { SqlDialect, SqlRunner } from './aggregate.js';
import type { ReleaseCacheUse } from './anomaly-ports.js';
import { scalarText } from './schema.js';

/**
 * The requests of one value of tag `tag` (a workflow) in [since, until), summed per client and
 * client version: which release of a tool a workflow's cache reads fell on. Read only once a
 * cache regression has fired, over its window and the hour before it: an index range on `ts`,
 * the tag compared row by row, as the rollups keep one tag per row and this asks for two.
 */
export async function releaseCacheUse(run: SqlRunner, dialect: SqlDialect, range: { since: number; until: number }, tag: string, value: string): Promise<ReleaseCacheUse[]> {
  const params: unknown[] = [];
  const p = (v: unknown) => dialect.param(params.push(v));
  const sql =
    `SELECT COALESCE(client, '') AS client, ${dialect.tagExpr(CLIENT_VERSION_TAG)} AS version, COUNT(*) AS requests, SUM(input_tokens) AS input_tokens, SUM(cache_read_tokens) AS cache_read_tokens ` +
    `FROM requests WHERE ts >= ${p(range.since)} AND ts < ${p(range.until)} AND ${dialect.tagExpr(tag)} = ${p(value)} GROUP BY 1, 2 ORDER BY 1, 2`;
  return (await run(sql, params)).map((x) => ({
    client: scalarText(x.client),
    version: scalarText(x.version),
    requests: Number(x.requests),
    inputTokens: Number(x.input_tokens),
    cacheReadTokens: Number(x.cache_read_tokens),
  }));
}

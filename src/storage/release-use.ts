import { CLIENT_VERSION_TAG } from '../core/ledger-row.js';
import { type SqlDialect, type SqlRunner, rawMeasures, readRow } from './aggregate.js';
import type { ReleaseCacheUse } from './anomaly-ports.js';

/**
 * The requests of one value of tag `tag` (a workflow) in [since, until), summed per client and
 * client version: which release of a tool a workflow's cache reads (or its cost) fell on. An
 * index range on `ts`, the tag compared row by row, as the rollups keep one tag per row and this
 * asks for two: read once a cache regression has fired (its window and the hour before), and by
 * `explain` narrowed to a workflow.
 */
export async function releaseCacheUse(run: SqlRunner, dialect: SqlDialect, range: { since: number; until: number }, tag: string, value: string): Promise<ReleaseCacheUse[]> {
  const params: unknown[] = [];
  const p = (v: unknown) => dialect.param(params.push(v));
  const sql =
    `SELECT COALESCE(client, '') AS k0, ${dialect.tagExpr(CLIENT_VERSION_TAG)} AS k1, ${rawMeasures(dialect)} ` +
    `FROM requests WHERE ts >= ${p(range.since)} AND ts < ${p(range.until)} AND ${dialect.tagExpr(tag)} = ${p(value)} GROUP BY 1, 2 ORDER BY 1, 2`;
  return (await run(sql, params)).map((x) => {
    const r = readRow(x, 2);
    const [client, version] = r.keys as [string, string];
    return { client, version, requests: r.requests, errors: r.errors, inputTokens: r.inputTokens, cacheReadTokens: r.cacheReadTokens, outputTokens: r.outputTokens, costPicos: r.costPicos };
  });
}

import type { SqlRunner } from './aggregate.js';

/**
 * The tokens of the context a Responses follow-up continuing `responseId` is billed for as input:
 * that response's own input and output, from its row (usage final) stamped in [since, until). Read
 * through requests_ts, the rows of the window compared, as `response_id` has no index (keeping one
 * cost every gateway insert about a third more CPU, docs/benchmarks.md): the window bounds the read.
 */
export async function responseContext(run: SqlRunner, param: (i: number) => string, responseId: string, since: number, until: number): Promise<number | undefined> {
  const rows = await run(
    `SELECT input_tokens + output_tokens AS t FROM requests WHERE ts >= ${param(1)} AND ts < ${param(2)} AND response_id = ${param(3)} ` +
      `AND api = 'openai.responses' AND usage_source = 'final' ORDER BY ts DESC LIMIT 1`,
    [since, until, responseId],
  );
  return rows.length === 0 ? undefined : Number(rows[0]!.t);
}

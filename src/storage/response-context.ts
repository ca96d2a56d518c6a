import type { SqlRunner } from './aggregate.js';

/**
 * The tokens of the context a Responses follow-up continuing `responseId` (or an Interactions create
 * continuing the interaction of that id) is billed for as input: that response's own input and output, from its row (usage final) stamped in [since, until). Read
 * through requests_ts, the rows of the window compared, as `response_id` has no index (keeping one
 * cost every gateway insert about a third more CPU, docs/benchmarks.md): the window bounds the read.
 */
export function responseContext(run: SqlRunner, param: (i: number) => string, responseId: string, since: number, until: number): Promise<number | undefined> {
  return createdTokens(run, param, "api IN ('openai.responses', 'gemini.interactions')", 'input_tokens + output_tokens', responseId, since, until);
}

/** The tokens a Gemini cache (`cachedContents/…`) holds: its creation row's input, read as responseContext reads. */
export function geminiCacheTokens(run: SqlRunner, param: (i: number) => string, name: string, since: number, until: number): Promise<number | undefined> {
  return createdTokens(run, param, "api = 'gemini.caches'", 'input_tokens', name, since, until);
}

/** `tokens` of the newest row of the APIs `api` names (usage final) stamped in [since, until) whose response id is `id`. */
async function createdTokens(run: SqlRunner, param: (i: number) => string, api: string, tokens: string, id: string, since: number, until: number): Promise<number | undefined> {
  const rows = await run(
    `SELECT ${tokens} AS t FROM requests WHERE ts >= ${param(1)} AND ts < ${param(2)} AND response_id = ${param(3)} ` +
      `AND ${api} AND usage_source = 'final' ORDER BY ts DESC LIMIT 1`,
    [since, until, id],
  );
  return rows.length === 0 ? undefined : Number(rows[0]!.t);
}

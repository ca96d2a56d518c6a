import type { SqlRunner } from './aggregate.js';
import type { SessionHour } from './ports.js';
import { MICRO_PICOS, scalarText } from './schema.js';

/**
 * Session-hours from the hourly session rollup, for both SQL engines (`param` spells the i-th
 * placeholder): its rows of a session and hour (one per combination of the other dimensions)
 * summed per user and key, with the span of their requests. A span is known only when every
 * row summed that still holds requests knows its own (schema version 26), else it is left out.
 */
export async function sessionHours(run: SqlRunner, param: (i: number) => string, range: { since: number; until: number }): Promise<SessionHour[]> {
  const rows = await run(
    'SELECT hour, session_id, user_name, key_id, SUM(input_tokens) AS i, SUM(output_tokens) AS o, SUM(cost_micros) AS cq, SUM(cost_rest_picos) AS cr, ' +
      'MIN(first_ts) AS f, MAX(last_ts) AS l, SUM(CASE WHEN first_ts IS NULL AND requests <> 0 THEN 1 ELSE 0 END) AS unknown FROM rollup_session_hourly ' +
      `WHERE hour >= ${param(1)} AND hour < ${param(2)} AND session_id <> '' GROUP BY hour, session_id, user_name, key_id HAVING SUM(requests) <> 0`,
    [range.since, range.until],
  );
  return rows.map((r) => {
    const big = (v: unknown) => BigInt((v as bigint | number | string | null) ?? 0);
    const h: SessionHour = {
      hour: Number(r.hour),
      sessionId: scalarText(r.session_id),
      user: scalarText(r.user_name),
      keyId: scalarText(r.key_id),
      costPicos: big(r.cq) * MICRO_PICOS + big(r.cr),
      inputTokens: Number(r.i ?? 0),
      outputTokens: Number(r.o ?? 0),
    };
    if (Number(r.unknown) === 0 && r.f !== null && r.l !== null) {
      h.firstTs = Number(r.f);
      h.lastTs = Number(r.l);
    }
    return h;
  });
}

import type { PolicySql } from './policy-store.js';
import type { TelemetryStore, TelemetryTotals } from './ports.js';
import { timeTerms } from './time-window.js';

type Row = Record<string, unknown>;

const COLUMNS = ['id', 'ts', 'metric', 'session_id', 'user_name', 'model', 'token_type', 'tokens', 'cost_picos'];

const MICRO = 1_000_000;

/**
 * A sum as text. A point stored before costs were bounded could be beyond 64 bits, which SQLite
 * keeps as a double: its sum reads as `1.0e+19`, which BigInt refuses, so it is read as a number.
 */
function whole(v: unknown): bigint {
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return BigInt(v);
  const n = Number(v ?? 0);
  return Number.isFinite(n) ? BigInt(Math.trunc(n)) : 0n;
}

/** The telemetry cross-check series; the SQL is the same on SQLite and Postgres. */
export function sqlTelemetryStore(db: PolicySql): TelemetryStore {
  const run = (sql: string, params: unknown[] = []) => {
    let i = 0;
    return db.run(sql.replace(/\?/g, () => db.param(++i)), params);
  };
  const insert = `INSERT INTO telemetry_points (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')}) ON CONFLICT (id) DO NOTHING`;
  const typed = (type: string) => `SUM(CASE WHEN token_type = '${type}' THEN tokens ELSE 0 END)`;
  return {
    async insertPoints(points) {
      let fresh = 0;
      for (const p of points) {
        fresh += (await run(insert, [p.id, p.ts, p.metric, p.sessionId, p.user, p.model, p.tokenType, p.tokens, p.costPicos.toString()])).count;
      }
      return fresh;
    },
    async sumPoints(filter) {
      const params: unknown[] = [];
      const where = timeTerms(filter, params);
      const sql =
        `SELECT COALESCE(session_id, '') AS session_id, COALESCE(model, '') AS model, COUNT(*) AS points, ` +
        `${typed('input')} AS input, ${typed('output')} AS output, ${typed('cacheRead')} AS cache_read, ${typed('cacheCreation')} AS cache_creation, ` +
        // As text: a sum of picodollars can pass 2^53, where a driver's number would round. Summed
        // as whole microdollars and the picodollars left over, since a plain sum could pass 2^63,
        // which SQLite refuses as an integer overflow.
        `CAST(SUM(cost_picos / ${MICRO}) AS TEXT) AS cost_micros, CAST(SUM(cost_picos % ${MICRO}) AS TEXT) AS cost_rest ` +
        `FROM telemetry_points${where.length ? ' WHERE ' + where.join(' AND ') : ''} ` +
        `GROUP BY COALESCE(session_id, ''), COALESCE(model, '') ORDER BY 1, 2`;
      return (await run(sql, params)).rows.map((r: Row): TelemetryTotals => ({
        sessionId: String(r.session_id),
        model: String(r.model),
        points: Number(r.points),
        inputTokens: Number(r.input),
        outputTokens: Number(r.output),
        cacheReadTokens: Number(r.cache_read),
        cacheCreationTokens: Number(r.cache_creation),
        costPicos: whole(r.cost_micros) * BigInt(MICRO) + whole(r.cost_rest),
      }));
    },
  };
}

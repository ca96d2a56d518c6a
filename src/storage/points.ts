import type { LedgerRow } from '../core/ledger-row.js';
import type { SqlRunner } from './aggregate.js';
import type { RequestPoint, TimeFilter } from './ports.js';
import { scalarText } from './schema.js';
import { timeTerms } from './time-window.js';

const COLUMNS = 'id, ts, session_id, key_id, user_name, client, model, status, outcome, attempts, input_tokens, output_tokens, tool_calls, cost_picos, last_turn_hash';

/** The request points of a window, for both SQL engines (`param` spells the i-th placeholder). */
export async function requestPoints(run: SqlRunner, param: (i: number) => string, filter: TimeFilter): Promise<RequestPoint[]> {
  const params: unknown[] = [];
  const where = timeTerms(filter, params, param);
  const rows = await run(`SELECT ${COLUMNS} FROM requests${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY ts, id`, params);
  return rows.map(toPoint);
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

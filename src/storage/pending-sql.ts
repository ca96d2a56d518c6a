import { GATEWAY_SOURCE } from './cross-source.js';
import { FINGERPRINT_PREFIX } from '../core/ids.js';

/**
 * The rows that wait for what their request made to finish: a background Response or interaction (its usage
 * comes later) and a batch, Anthropic's, OpenAI's or Gemini's (its results are billed once it has ended).
 */
export type PendingApi = 'openai.responses' | 'gemini.interactions' | 'anthropic.batches' | 'openai.batches' | 'gemini.batches';

/** The predicate of requests_pending_response; a query must repeat it for either engine to use the index. */
export const PENDING_RESPONSE = "usage_source = 'none' AND response_id IS NOT NULL";

/**
 * The gateway's Responses rows still without usage, in (ts, id) order from a window's start or
 * after a row, through requests_pending_ts; not those made with a provider key passed through,
 * which Tollgate cannot ask about (it does not keep the key).
 */
export function pendingResponsesSql(api: PendingApi, param: (i: number) => string): string {
  return (
    `SELECT * FROM requests WHERE ${PENDING_RESPONSE} AND ts >= ${param(1)} AND ts < ${param(2)} AND (ts, id) > (${param(3)}, ${param(4)}) ` +
    `AND api = '${api}' AND source = '${GATEWAY_SOURCE}' AND (key_id IS NULL OR substr(key_id, 1, ${FINGERPRINT_PREFIX.length}) <> '${FINGERPRINT_PREFIX}') ORDER BY ts, id LIMIT ${param(5)}`
  );
}

/** The gateway's row still without usage that created the response or batch `param` names, through requests_pending_response. */
export function pendingResponseSql(api: PendingApi, param: string): string {
  return `SELECT * FROM requests WHERE response_id = ${param} AND ${PENDING_RESPONSE} AND api = '${api}' AND source = '${GATEWAY_SOURCE}' ORDER BY ts LIMIT 1`;
}

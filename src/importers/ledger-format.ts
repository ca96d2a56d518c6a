import { APIS, OUTCOMES } from '../core/api.js';
import { EARLIEST_MS, EARLIEST_TIME, parseInstant } from '../core/instant.js';
import type { LedgerRow } from '../core/ledger-row.js';
import { MAX_ROW_PICOS, formatUsd, usd } from '../core/money.js';
import { USAGE_SOURCES } from '../core/usage.js';

/**
 * A line dated before EARLIEST_TIME: no row the ledger holds, since reports cannot reach it and
 * storage's rollups cannot name its hour (a clock that was not set; an older import took such
 * lines). A local load skips and counts it, where another bad line stops the load.
 */
export class TooEarlyError extends RangeError {}

/**
 * Reads one line of Tollgate's own JSONL export (src/reports/export.ts) back into a row,
 * ids and timestamps kept. `cost_usd` is read from the line's text, not from the parsed
 * double, so the cost comes back exact. Throws RangeError naming the bad field.
 */
export function parseLedgerLine(text: string): LedgerRow {
  // A file saved by an editor or a script may start with a byte-order mark.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new RangeError('not JSON');
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new RangeError('not a JSON object');
  return ledgerRowFrom(o, exactText(text, 'cost_usd', o.cost_usd), exactText(text, 'route_saving_usd', o.route_saving_usd));
}

// A member is found by its unescaped name followed by a number or null, with the whitespace
// JSON allows around the colon (Python's json.dumps writes a space): tags, pool and the other
// strings can only hold the name escaped or followed by a string.
const member = (name: string) => new RegExp(`"${name}"[ \\t\\r\\n]*:[ \\t\\r\\n]*(null|-?\\d+(?:\\.\\d+)?(?:[eE][-+]?\\d+)?)`, 'g');
const MEMBERS = { cost_usd: member('cost_usd'), route_saving_usd: member('route_saving_usd') };

function exactText(text: string, name: keyof typeof MEMBERS, parsed: unknown): string | null {
  if (parsed === null || parsed === undefined) return null;
  if (typeof parsed === 'string') return parsed;
  const m = [...text.matchAll(MEMBERS[name])].at(-1);
  if (!m || m[1] === 'null') throw new RangeError(`${name} must be a number or null`);
  return m[1]!;
}

/** A row from an export object (`cost` and `saving` as decimal text, or null). */
export function ledgerRowFrom(o: Record<string, unknown>, cost: string | null, saving: string | null = null): LedgerRow {
  const str = (k: string): string => {
    const v = o[k];
    if (typeof v !== 'string') throw new RangeError(`${k} must be a string`);
    return v;
  };
  const opt = (k: string): string | null => (o[k] === null || o[k] === undefined ? null : str(k));
  const int = (k: string, fallback?: number): number => {
    const v = o[k] ?? fallback;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new RangeError(`${k} must be a whole number ≥ 0`);
    return v;
  };
  const bool = (k: string): boolean => {
    if (typeof o[k] !== 'boolean') throw new RangeError(`${k} must be true or false`);
    return o[k];
  };
  const oneOf = <T extends string>(k: string, allowed: readonly T[]): T => {
    const v = str(k);
    if (!(allowed as readonly string[]).includes(v)) throw new RangeError(`${k} must be one of ${allowed.join(', ')}`);
    return v as T;
  };
  // Strict: Date.parse rolls a day the month lacks (2026-02-31) into March, and reads a time without an offset as local.
  const ts = parseInstant(str('ts'));
  if (ts === undefined) throw new RangeError('ts must be an ISO-8601 time on a day that exists');
  if (ts < EARLIEST_MS) throw new TooEarlyError(`ts ${str('ts')} is before ${EARLIEST_TIME}, the earliest time the ledger holds`);
  const tags = o.tags ?? {};
  if (typeof tags !== 'object' || tags === null || Array.isArray(tags) || Object.values(tags).some((v) => typeof v !== 'string')) throw new RangeError('tags must be an object of strings');
  const costPicos = cost === null ? null : exactUsd(cost, 'cost_usd', false);
  if (!str('id')) throw new RangeError('id must not be empty');
  return {
    id: str('id'),
    ts,
    api: oneOf('api', APIS),
    provider: str('provider'),
    model: str('model'),
    modelRequested: str('model_requested'),
    keyId: opt('key_id'),
    user: opt('user'),
    team: opt('team'),
    project: opt('project'),
    sessionId: opt('session_id'),
    client: opt('client'),
    tags: tags as Record<string, string>,
    stream: bool('stream'),
    status: int('status'),
    outcome: oneOf('outcome', OUTCOMES),
    errorType: opt('error_type'),
    inputTokens: int('input_tokens'),
    cacheReadTokens: int('cache_read_tokens'),
    cacheWriteTokens: int('cache_write_tokens'),
    cacheWrite1hTokens: int('cache_write_1h_tokens', 0),
    outputTokens: int('output_tokens'),
    reasoningTokens: int('reasoning_tokens'),
    toolCalls: int('tool_calls', 0),
    latencyMs: int('latency_ms'),
    ttftMs: o.ttft_ms === null || o.ttft_ms === undefined ? null : int('ttft_ms'),
    costPicos,
    usageSource: oneOf('usage_source', USAGE_SOURCES),
    unpriced: bool('unpriced'),
    attempts: int('attempts', 1),
    pool: opt('pool'),
    // Exports written before these columns existed: unknown request id, and the gateway wrote them.
    upstreamRequestId: opt('upstream_request_id'),
    source: o.source === undefined ? 'gateway' : sourceName(str('source')),
    routeRule: opt('route_rule'),
    routeMode: o.route_mode === null || o.route_mode === undefined ? null : oneOf('route_mode', ['enforce', 'shadow'] as const),
    routeSavingPicos: saving === null ? null : exactUsd(saving, 'route_saving_usd', true),
    // Not exported: the loop detector's hash is only known for traffic the gateway saw.
    lastTurnHash: null,
    // How another source's row is matched to the gateway's (cross-source.ts); absent from older exports.
    ...(opt('response_id') === null ? {} : { responseId: opt('response_id') }),
    // The tier it was priced at; absent from older exports, whose rows read as standard.
    ...(opt('service_tier') === null ? {} : { serviceTier: opt('service_tier') }),
  };
}


/** A saving may be negative (routing cost more); a cost may not. */
function exactUsd(text: string, name: string, signed: boolean): bigint {
  let p: bigint;
  try {
    p = signed && text.startsWith('-') ? -usd(text.slice(1)) : usd(text);
  } catch (err) {
    throw new RangeError(`${name}: ${(err as Error).message}`);
  }
  if (p > MAX_ROW_PICOS || p < -MAX_ROW_PICOS) throw new RangeError(`${name}: ${text} is more than one ledger row can hold (${formatUsd(MAX_ROW_PICOS)} USD)`);
  if (!signed && p < 0n) throw new RangeError(`${name}: ${text} is negative; a request cannot cost less than nothing`);
  return p;
}

/**
 * A row's source names what recorded it (`gateway`, `claude-code-log`, `codex-log`, `codex-otel`, `otel-genai`,
 * a team's own importer): a short lowercase name, so that reports can group by it and a line
 * break or markup in one cannot reach a CSV or a page.
 */
function sourceName(s: string): string {
  if (!/^[a-z0-9][a-z0-9._-]{0,63}$/.test(s)) throw new RangeError(`source must be a short lowercase name (letters, digits, ".", "_", "-"), such as gateway or claude-code-log, not ${JSON.stringify(s.slice(0, 80))}`);
  return s;
}

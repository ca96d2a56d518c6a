import { AGENT_ID_TAG, type LedgerRow } from '../core/ledger-row.js';

/**
 * A request seen by two sources (the gateway, a Claude Code log import, Claude Code's
 * telemetry, a GenAI span) counts once: a row is dropped when another source already
 * recorded the same provider request id. How the stored rows are searched depends on
 * who recorded them, so that the gateway's own inserts never maintain an index of
 * random ids (a page write per row on a large ledger):
 *
 * - rows of other sources are found by id alone, through an index that holds only them;
 * - gateway rows are found by the session and a time window around the row's own time,
 *   through the (session_id, ts) index the ledger keeps anyway. A log line or a telemetry
 *   event of a call is stamped within the call's duration of the gateway's arrival time.
 */
export const GATEWAY_SOURCE = 'gateway';

/** How far apart a gateway row and another source's record of the same call can be stamped, with a session. */
export const SESSION_WINDOW_MS = 15 * 60_000;

/** The same without a session (a GenAI span is stamped at the call's start, as the gateway is). */
export const SESSIONLESS_WINDOW_MS = 2 * 60_000;

/** One row to look up: its index in the batch and what identifies its call. */
export interface Probe {
  i: number;
  upstreamId: string;
  source: string;
  sessionId: string | null;
  ts: number;
}

/**
 * How far apart a gateway row and another source's row carrying the same response id (the
 * provider's body id: a GenAI span's `gen_ai.response.id`, a Claude Code log's message id) can
 * start. `response_id` has no index: keeping one cost every gateway insert about a third more
 * CPU (bench/response-id.ts); the rows of the window are read through the ts index instead.
 */
export const RESPONSE_WINDOW_MS = 10 * 60_000;

/** Rows close in time, and the span of their windows: one range of stored rows read for all of them. */
export interface TimeRange<T> {
  from: number;
  to: number;
  items: T[];
}

/**
 * Items grouped into ranges of ±`windowMs` around their times, overlapping windows merged, so a
 * batch of one hour's spans reads that hour once and an import of old history only the hours it has.
 */
export function mergedRanges<T extends { ts: number }>(items: readonly T[], windowMs: number): TimeRange<T>[] {
  const out: TimeRange<T>[] = [];
  let cur: TimeRange<T> | undefined;
  for (const x of [...items].sort((a, b) => a.ts - b.ts)) {
    if (!cur || x.ts - windowMs > cur.to) out.push((cur = { from: x.ts - windowMs, to: x.ts + windowMs, items: [] }));
    cur.to = x.ts + windowMs;
    cur.items.push(x);
  }
  return out;
}

/** Whether any stored row of another source has an id (same SQL for both stores; a seek in the partial index). */
export const OTHERS_STORED_SQL = `SELECT EXISTS (SELECT 1 FROM requests WHERE upstream_request_id IS NOT NULL AND source <> '${GATEWAY_SOURCE}') AS e`;

/** A gateway row can only repeat another source's row, and a ledger of gateway traffic alone has none: its probes go. */
export function probesToRun(probes: readonly Probe[], othersStored: () => boolean): readonly Probe[] {
  if (!probes.some((p) => p.source === GATEWAY_SOURCE) || othersStored()) return probes;
  return probes.filter((p) => p.source !== GATEWAY_SOURCE);
}

/**
 * A row's provider request id, or null. An empty one (an empty `x-request-id` header, a log
 * line's `"requestId": ""`) identifies nothing: taken as an id, it merged unrelated calls.
 */
export function upstreamIdOf(r: LedgerRow): string | null {
  return r.upstreamRequestId === '' ? null : r.upstreamRequestId;
}

/** The rows of a batch that carry a provider request id, as probes. */
export function probesOf(rows: readonly LedgerRow[]): Probe[] {
  const out: Probe[] = [];
  rows.forEach((r, i) => {
    const up = upstreamIdOf(r);
    if (up !== null) out.push({ i, upstreamId: up, source: r.source, sessionId: r.sessionId, ts: r.ts });
  });
  return out;
}

/** Sessionless probes of other sources, as ranges of sessionless gateway rows to read. */
export function sessionlessRanges(probes: readonly Probe[]): TimeRange<Probe>[] {
  return mergedRanges(
    probes.filter((p) => p.sessionId === null && p.source !== GATEWAY_SOURCE),
    SESSIONLESS_WINDOW_MS,
  );
}

/** The probes of a range that a gateway row read back from it (`found`: its id and time) repeats. */
export function repeatedInRange(range: TimeRange<Probe>, found: readonly { u: string; ts: number }[]): Probe[] {
  const at = new Map<string, number[]>();
  for (const f of found) at.set(f.u, [...(at.get(f.u) ?? []), Number(f.ts)]);
  return range.items.filter((p) => (at.get(p.upstreamId) ?? []).some((t) => Math.abs(t - p.ts) <= SESSIONLESS_WINDOW_MS));
}

/** Whether a row is matched by its response id: one that is not the gateway's own and has one. */
export function looksUpResponse(r: LedgerRow): r is LedgerRow & { responseId: string } {
  return r.source !== GATEWAY_SOURCE && typeof r.responseId === 'string' && r.responseId !== '';
}

/** The ranges of stored rows to read for a batch's response ids. Gateway rows need none: the hot path never asks. */
export function responseLookups(rows: readonly LedgerRow[]): TimeRange<LedgerRow & { responseId: string }>[] {
  return mergedRanges(rows.filter(looksUpResponse), RESPONSE_WINDOW_MS);
}

/** The sources that recorded each response id, from the lookups' answers. Pure (crossSourceCheck relies on it). */
export function sourcesById(found: Iterable<{ id: string; source: string }>): (responseId: string, source: string) => boolean {
  const by = new Map<string, Set<string>>();
  for (const f of found) {
    let s = by.get(f.id);
    if (!s) by.set(f.id, (s = new Set()));
    s.add(f.source);
  }
  return (id, source) => {
    for (const s of by.get(id) ?? []) if (s !== source) return true;
    return false;
  };
}

/**
 * A row of another source that carries no provider id at all (a Codex rollout's token count
 * has neither a request id nor a response id), with a session: matched to a gateway row of
 * that session, stamped within the session window, by its token counts. Prompts grow turn by
 * turn, so two calls of one session with the same input and output counts are the same call.
 */
export interface UsageProbe {
  i: number;
  source: string;
  sessionId: string;
  ts: number;
  input: number;
  cached: number;
  output: number;
  reasoning: number;
  /** Its row carries a response id: the gateway's row of that response is found by it, whatever its session. */
  byResponse?: boolean;
}

/**
 * Codex's own two records of a call, neither with a provider id: its rollout's token count
 * (`tollgate import`, `codex-log`) and its telemetry's completed-response event (`codex-otel`).
 * They name the same conversation (the rollout's `session_meta` id is the events'
 * `conversation.id`, a spawned sub-agent's own thread included), carry the response's usage
 * as Codex read it, and are stamped as the response completes, milliseconds apart (Codex
 * 0.169.0). So each is matched to the other by session, all four counts and a shorter window.
 */
const USAGE_PEERS: Readonly<Record<string, string>> = { 'codex-log': 'codex-otel', 'codex-otel': 'codex-log' };

/** How far apart Codex's rollout and telemetry records of one call can be stamped. */
export const PEER_WINDOW_MS = 2 * 60_000;

/** The other source that records a row's calls without ids (see USAGE_PEERS), or null. */
export const usagePeerOf = (source: string): string | null => USAGE_PEERS[source] ?? null;

/** Whether a row has no provider id and is matched by its session and counts. */
const matchesByUsage = (r: LedgerRow): r is LedgerRow & { sessionId: string } =>
  r.source !== GATEWAY_SOURCE &&
  upstreamIdOf(r) === null &&
  // A Codex rollout's row has its response id (token_usage_record), its telemetry peer none: it is matched by both.
  (!looksUpResponse(r) || usagePeerOf(r.source) !== null) &&
  r.sessionId !== null &&
  r.inputTokens + r.outputTokens > 0;

export function usageProbesOf(rows: readonly LedgerRow[]): UsageProbe[] {
  const out: UsageProbe[] = [];
  rows.forEach((r, i) => {
    if (!matchesByUsage(r)) return;
    out.push({ i, source: r.source, sessionId: r.sessionId, ts: r.ts, input: r.inputTokens, cached: r.cacheReadTokens, output: r.outputTokens, reasoning: r.reasoningTokens, byResponse: looksUpResponse(r) });
  });
  return out;
}

/** A range of one session's stored rows to read, for probes of one source; `peer` is the other source read beside the gateway's. */
export interface UsageRange extends TimeRange<UsageProbe> {
  sessionId: string;
  peer: string;
}

/** Per session and source, the ranges of its rows to read (through the (session_id, ts) index). */
export function usageRanges(probes: readonly UsageProbe[]): UsageRange[] {
  const groups = new Map<string, UsageProbe[]>();
  for (const p of probes) {
    const k = `${p.source}\u0000${p.sessionId}`;
    const group = groups.get(k);
    if (group) group.push(p);
    else groups.set(k, [p]);
  }
  return [...groups.values()].flatMap((items) => {
    const { sessionId, source } = items[0]!;
    // A source without a peer reads the gateway's rows only.
    const peer = usagePeerOf(source) ?? GATEWAY_SOURCE;
    return mergedRanges(items, SESSION_WINDOW_MS).map((r) => ({ ...r, sessionId, peer }));
  });
}

/** A stored row read back for `matchedByUsage`. */
export interface UsageFound {
  ts: number;
  input: number;
  cached: number;
  output: number;
  reasoning: number;
  source: string;
}

/** Whether a stored or batch row (`f`) is the call a probe records: by the gateway's rule, or by the Codex pair's stricter one. */
function sameCall(p: UsageProbe, f: UsageFound): boolean {
  if (f.input !== p.input || f.output !== p.output) return false;
  if (f.source === GATEWAY_SOURCE) return Math.abs(f.ts - p.ts) <= SESSION_WINDOW_MS;
  return f.source === usagePeerOf(p.source) && f.cached === p.cached && f.reasoning === p.reasoning && Math.abs(f.ts - p.ts) <= PEER_WINDOW_MS;
}

/** The probes of a range that a row read back from it repeats; each stored row stands for one call only. */
export function matchedByUsage(range: TimeRange<UsageProbe>, found: readonly UsageFound[]): UsageProbe[] {
  // By input count, which every rule compares: a long session's re-import would otherwise try every pair.
  const free = new Map<number, (UsageFound & { used: boolean })[]>();
  for (const f of found) {
    const row = { ts: Number(f.ts), input: Number(f.input), cached: Number(f.cached), output: Number(f.output), reasoning: Number(f.reasoning), source: f.source, used: false };
    const same = free.get(row.input);
    if (same) same.push(row);
    else free.set(row.input, [row]);
  }
  const out: UsageProbe[] = [];
  for (const p of range.items) {
    const hit = free.get(p.input)?.find((f) => !f.used && sameCall(p, f));
    if (!hit) continue;
    hit.used = true;
    out.push(p);
  }
  return out;
}

/** Reading a session's gateway rows, and its peer source's, for `matchedByUsage` (same SQL for both stores, placeholders apart). */
export const usageRowsSql = (param: (n: number) => string) =>
  'SELECT ts, input_tokens AS input, cache_read_tokens AS cached, output_tokens AS output, reasoning_tokens AS reasoning, source FROM requests ' +
  `WHERE session_id = ${param(1)} AND ts BETWEEN ${param(2)} AND ${param(3)} AND source IN ('${GATEWAY_SOURCE}', ${param(4)})`;

/** The parameters of `usageRowsSql` for a range. */
export const usageRowsParams = (r: UsageRange): [string, number, number, string] => [r.sessionId, r.from, r.to, r.peer];

/**
 * A spawned Codex sub-agent's calls through the gateway are under its parent's session: Codex sends
 * them with the parent's `session-id`, and the gateway's row names the sub-agent's thread in its
 * `agent_id` tag (identity/codex-agent.ts), while Codex's telemetry and the sub-agent's rollout name
 * that thread as their session (Codex 0.169.0). So a probe of these sources that no row of its own
 * session repeats is matched, by the gateway rule (input and output counts, the session window), to
 * a gateway row whose `agent_id` is its session (a rollout row with a response id needs not: that id
 * finds the gateway's row, `responseLookups`). The tagged rows of the window are read through the
 * partial index `requests_agent` (schema version 34: `tag` must spell the tag as its predicate does,
 * `tags ->> 'agent_id'`), filtered by input count and tag (bench/codex-agent-lookup.ts measures it).
 */
export const AGENT_THREAD_SOURCES: ReadonlySet<string> = new Set(['codex-log', 'codex-otel']);

/** The probes of a usage range that its session's rows did not repeat and that a gateway row may hold by `agent_id`. */
export function agentProbes(range: UsageRange, matched: readonly UsageProbe[]): UsageProbe[] {
  return range.items.filter((p) => AGENT_THREAD_SOURCES.has(p.source) && p.byResponse !== true && !matched.includes(p));
}

/** A window of gateway rows to read for a batch's sub-agent probes (of any session): their threads and input counts. */
export interface AgentRange extends TimeRange<UsageProbe> {
  threads: string[];
  inputs: number[];
}

/** One read per cluster of the batch's `agentProbes`, whatever their sessions: a batch of many threads reads a window once. */
export function agentRanges(probes: readonly UsageProbe[]): AgentRange[] {
  return mergedRanges(probes, SESSION_WINDOW_MS).map((r) => ({ ...r, threads: [...new Set(r.items.map((p) => p.sessionId))], inputs: [...new Set(r.items.map((p) => p.input))] }));
}

/**
 * Reading the gateway rows of a window tagged with one of the threads, for `matchedByAgent` (same SQL for both
 * stores): parameters 1 and 2 are the window, 3 the input counts and 4 the threads (`agentRowsParams`); `tag`
 * reads a tag, `inList(n, type)` tests membership in list parameter n.
 */
export const agentRowsSql = (param: (n: number) => string, tag: (key: string) => string, inList: (n: number, type: 'bigint' | 'text') => string) =>
  'SELECT ts, input_tokens AS input, cache_read_tokens AS cached, output_tokens AS output, reasoning_tokens AS reasoning, source, ' +
  `${tag(AGENT_ID_TAG)} AS agent FROM requests WHERE ts BETWEEN ${param(1)} AND ${param(2)} AND source = '${GATEWAY_SOURCE}' ` +
  `AND input_tokens ${inList(3, 'bigint')} AND (${tag(AGENT_ID_TAG)}) IS NOT NULL AND ${tag(AGENT_ID_TAG)} ${inList(4, 'text')}`;

/** The parameters of `agentRowsSql` for a range. */
export const agentRowsParams = (r: AgentRange): [number, number, number[], string[]] => [r.from, r.to, r.inputs, r.threads];

/** The probes of an agent range that a gateway row tagged with their session repeats, by the gateway rule, each row standing for one call. */
export function matchedByAgent(range: AgentRange, found: readonly (UsageFound & { agent: string })[]): UsageProbe[] {
  return range.threads.flatMap((t) => matchedByUsage({ ...range, items: range.items.filter((p) => p.sessionId === t) }, found.filter((f) => f.agent === t)));
}

/**
 * A predicate telling whether a row repeats a request already recorded by another source:
 * by upstream id (or, for a row with none, by its session and token counts), `stored` holds
 * the batch indexes the store found repeated, and within the
 * batch the same id from another source earlier in it counts (for Codex's two id-less
 * sources, the other one's row of the same call); by response id, for a row that
 * is not the gateway's, `storedResponse` (asked only of such rows) or anywhere in the batch
 * (the gateway's rows first: its row of a call is the one kept). Rows it accepts are
 * remembered for the rest of the batch.
 */
export function crossSourceCheck(
  rows: readonly LedgerRow[],
  stored: ReadonlySet<number>,
  storedResponse: (responseId: string, source: string) => boolean = () => false,
): (r: LedgerRow) => boolean {
  // A batch of one source with nothing found stored (a first import, above all): its rows
  // cannot repeat one another, so only the store's answer counts and the maps below are not
  // built (three entries a row: a sixth of a first import's write CPU). Exact because
  // `storedResponse` is pure: it answers a row's repeats as it answered the row.
  if (stored.size === 0 && rows.every((r) => r.source === rows[0]!.source)) return (r) => looksUpResponse(r) && storedResponse(r.responseId, r.source);
  const index = new Map<LedgerRow, number>();
  rows.forEach((r, i) => index.set(r, i));
  const batch = new Map<string, string>();
  const responses = new Map<string, string>();
  for (const r of rows) if (r.source === GATEWAY_SOURCE && r.responseId) responses.set(r.responseId, r.source);
  // Codex's rollout and telemetry rows of calls earlier in the batch (USAGE_PEERS), each standing for one call.
  const peers = new Map<string, (UsageFound & { used: boolean })[]>();
  return (r) => {
    const up = upstreamIdOf(r);
    // A row with no provider id, matched by its session and token counts (usageProbesOf).
    if (up === null && stored.has(index.get(r) ?? -1)) return true;
    if (matchesByUsage(r) && usagePeerOf(r.source) !== null) {
      const p = { i: -1, source: r.source, sessionId: r.sessionId, ts: r.ts, input: r.inputTokens, cached: r.cacheReadTokens, output: r.outputTokens, reasoning: r.reasoningTokens };
      const k = `${r.sessionId}\u0000${p.input}\u0000${p.output}`;
      const same = peers.get(k) ?? [];
      const hit = same.find((f) => !f.used && sameCall(p, f));
      if (hit) return (hit.used = true);
      peers.set(k, [...same, { ...p, used: false }]);
    }
    const before = up === null ? undefined : batch.get(up);
    if (up !== null && (before !== undefined ? before !== r.source : stored.has(index.get(r) ?? -1))) return true;
    if (looksUpResponse(r)) {
      const first = responses.get(r.responseId);
      if (first !== undefined ? first !== r.source : storedResponse(r.responseId, r.source)) return true;
      responses.set(r.responseId, r.source);
    }
    if (up !== null) batch.set(up, r.source);
    return false;
  };
}

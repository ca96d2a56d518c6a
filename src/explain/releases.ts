import { wholePercent } from '../core/count-text.js';
import { type Picos, formatUsd, usdColumn } from '../core/money.js';

/** A client version's requests, input, cache reads and cost in one window. */
export interface VersionSpend {
  client: string;
  version: string;
  requests: number;
  inputTokens: number;
  cacheReadTokens: number;
  costPicos: Picos;
}

/** A client whose requests moved to a release it did not run in the first window. */
export interface ReleaseMove {
  client: string;
  from: VersionSpend;
  to: VersionSpend;
  /** The new release's share of the client's requests in the second window. */
  toShare: number;
}

/** Requests of each version before a move between them says anything. */
const MIN_REQUESTS = 10;
/** The new release carries at least this share of the client's requests in the second window… */
const MOVED_SHARE = 0.5;
/** …and carried at most this share of them in the first. */
const NEW_SHARE = 0.1;

/**
 * The clients that moved to a new release between the windows: per client, the version with the
 * most requests in the second window is another than in the first, carries half its requests or
 * more, and carried a tenth or less before. What a request cost and read from cache on each says
 * whether the release is where a change came from (a client that broke its prompt cache, or sends
 * more context), which the drivers, summed over every version, cannot tell. Largest cost first.
 */
export function releaseMoves(a: readonly VersionSpend[], b: readonly VersionSpend[]): ReleaseMove[] {
  const before = byClient(a);
  const out: ReleaseMove[] = [];
  for (const [client, now] of byClient(b)) {
    const past = before.get(client);
    if (!past) continue;
    const to = main(now.versions);
    const from = main(past.versions);
    if (!to || !from || to.version === from.version || to.requests < MIN_REQUESTS || from.requests < MIN_REQUESTS) continue;
    const toShare = to.requests / now.requests;
    const wasShare = (past.versions.find((v) => v.version === to.version)?.requests ?? 0) / past.requests;
    if (toShare >= MOVED_SHARE && wasShare <= NEW_SHARE) out.push({ client, from, to, toShare });
  }
  return out.sort((x, y) => (y.to.costPicos > x.to.costPicos ? 1 : y.to.costPicos < x.to.costPicos ? -1 : x.client < y.client ? -1 : 1));
}

/** "claude-code moved from 2.1.197 to 2.1.198 (92% of its requests in this week): a request cost $0.210 against $0.050, and read 12% of its input from cache against 86%." */
export function releaseMoveText(m: ReleaseMove, toLabel: string): string {
  const [was, is] = [perRequest(m.from), perRequest(m.to)];
  const usd = usdColumn([was, is]);
  const cache = m.from.inputTokens > 0 && m.to.inputTokens > 0 ? `, and read ${wholePercent(cacheShare(m.to))} of its input from cache against ${wholePercent(cacheShare(m.from))}` : '';
  return `${m.client} moved from ${m.from.version} to ${m.to.version} (${wholePercent(m.toShare)} of its requests in ${toLabel}): a request cost ${usd(is)} against ${usd(was)}${cache}.`;
}

/** The moves as JSON (`client_releases`). */
export function releaseMovesJson(moves: readonly ReleaseMove[]) {
  const side = (v: VersionSpend) => ({
    version: v.version,
    requests: v.requests,
    cost_usd: formatUsd(v.costPicos),
    cost_per_request_usd: formatUsd(perRequest(v)),
    cache_read_share: v.inputTokens > 0 ? Math.round(cacheShare(v) * 10_000) / 10_000 : null,
  });
  return moves.map((m) => ({ client: m.client, from: side(m.from), to: side(m.to), to_share_of_requests: Math.round(m.toShare * 10_000) / 10_000 }));
}

function byClient(uses: readonly VersionSpend[]): Map<string, { requests: number; versions: VersionSpend[] }> {
  const m = new Map<string, { requests: number; versions: VersionSpend[] }>();
  for (const u of uses) {
    if (u.client === '') continue;
    const c = m.get(u.client) ?? m.set(u.client, { requests: 0, versions: [] }).get(u.client)!;
    c.requests += u.requests;
    if (u.version !== '') c.versions.push(u);
  }
  return m;
}

function main(versions: readonly VersionSpend[]): VersionSpend | undefined {
  return versions.reduce<VersionSpend | undefined>((m, v) => (!m || v.requests > m.requests || (v.requests === m.requests && v.version > m.version) ? v : m), undefined);
}

function perRequest(v: VersionSpend): Picos {
  return v.requests > 0 ? v.costPicos / BigInt(v.requests) : 0n;
}

function cacheShare(v: VersionSpend): number {
  return v.cacheReadTokens / v.inputTokens;
}

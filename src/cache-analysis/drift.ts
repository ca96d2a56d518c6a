import type { CacheRow } from '../core/ledger-row.js';
import type { Picos } from '../core/money.js';
import { EXAMPLES, TTL_1H, TTL_5M } from './constants.js';
import { type BlockKind, type PrefixRecord, decodePrefix } from './prefix.js';
import type { PrefixScan } from './prefix-scan.js';
import type { PriceMoves } from './price-moves.js';
import type { Seen, Sequence, VersionTally } from './seen.js';
import type { DriftCause, Evidence, Finding } from './types.js';

/** The finding for one sequence, or undefined when its drift cost nothing. */
export function driftFinding(q: Sequence): Omit<Finding, 'weeklyPicos'> | undefined {
  if (q.drift === 0 || q.saving <= 0n) return undefined;
  const d = [...q.positions.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]![0];
  const cause = classify(q);
  if (cause === 'changed' && q.drift < 3) return undefined;
  const sample = decodePrefix(q.sample!.prefix)!;
  const label = blockLabel(sample, d);
  const text = sample.b[d]?.[3];
  const common = { kind: 'prefix_drift' as const, cause, group: q.group, model: q.model, windowPicos: q.saving };
  const evidence: Evidence = { requestIds: q.examples, count: q.drift, outOf: q.pairs, firstDifferingBlock: d, blockLabel: label, ...(text === undefined ? {} : { sample: text }) };
  const versions = [...q.versions].filter(([v]) => v !== '');
  if (versions.length > 1) evidence.clientVersions = versions.map(([version, t]) => ({ version, ...t })).sort((a, b) => b.pairs - a.pairs || (a.version < b.version ? -1 : 1));
  const found = withRelease(findingFor(q, cause, label), versionContrast(q));
  return { ...common, evidence, ...found };
}

function findingFor(q: Sequence, cause: DriftCause, label: string): { title: string; fix: string } {
  switch (cause) {
    case 'volatile_block':
      return { title: `the prompt prefix changes at ${label} on ${q.drift} of ${q.pairs} consecutive calls`, fix: `move what changes every call (a timestamp, an id, user data) out of ${label} to after the last cache breakpoint` };
    case 'reordered':
      return { title: `tool definitions or system blocks arrive in a different order (${q.reorder} of ${q.pairs} calls)`, fix: 'send tools and system blocks in a fixed order (sort them, and serialise their JSON keys deterministically)' };
    case 'per_session':
      return {
        title: `${label} differs per session but is stable within one (${q.crossSessionDrift} session starts)`,
        fix: 'a per-session line near the top (such as Claude Code\'s x-anthropic-billing-header) stops sessions sharing the cache; move it after the cached prefix, or for Claude Code set CLAUDE_CODE_ATTRIBUTION_HEADER=false',
      };
    case 'changed':
      return { title: `the static prompt prefix changed ${q.drift} times (first at ${label})`, fix: `keep ${label} and what precedes it stable between calls` };
  }
}

/** Calls of a version before the contrast below says anything about it. */
const MIN_VERSION_PAIRS = 10;

/**
 * A client version whose calls drift (half of its pairs or more) beside one whose calls do not (a
 * tenth or fewer): the drift came with a release of the client, not with the team's own prompts.
 */
export function versionContrast(q: Sequence): { drifting: [string, VersionTally]; stable: [string, VersionTally] } | undefined {
  const known = [...q.versions].filter(([v, t]) => v !== '' && t.pairs >= MIN_VERSION_PAIRS);
  const drifting = known.filter(([, t]) => t.drift * 2 >= t.pairs).sort((a, b) => b[1].drift - a[1].drift)[0];
  const stable = known.filter(([, t]) => t.drift * 10 <= t.pairs).sort((a, b) => b[1].pairs - a[1].pairs)[0];
  return drifting && stable ? { drifting, stable } : undefined;
}

function withRelease(f: { title: string; fix: string }, c: ReturnType<typeof versionContrast>): { title: string; fix: string } {
  if (!c) return f;
  const [bad, b] = c.drifting;
  const [good, g] = c.stable;
  return {
    title: `${f.title}, on client version ${bad} (${b.drift} of ${b.pairs} calls) and not on ${good} (${g.drift} of ${g.pairs})`,
    fix: `the drift came with client version ${bad}: stay on ${good} until its maker fixes it, or ${f.fix}`,
  };
}

function classify(q: Sequence): DriftCause {
  if (q.reorder * 2 >= q.drift) return 'reordered';
  if (q.crossSessionPairs > 0 && q.sameSessionPairs > 0 && q.sameSessionDrift * 10 <= q.sameSessionPairs && q.crossSessionDrift * 10 >= q.crossSessionPairs * 9) return 'per_session';
  if (q.drift * 2 >= q.pairs) return 'volatile_block';
  return 'changed';
}

/** The first static block where the previous call and this one differ; undefined when their static parts match. */
export function firstDifference(q: Sequence, s: PrefixScan): number | undefined {
  const n = Math.min(q.prevStatic, s.staticLen);
  for (let i = 0; i < n; i++) if (q.prevA[i] !== s.idA[i] || q.prevB[i] !== s.idB[i]) return i;
  return q.prevStatic === s.staticLen ? undefined : n;
}

/**
 * Whether a static block of this call from `d` on is one the previous call had from `d` on: the
 * evidence that the prefix past the change recurred, so that a stable prefix would have been read
 * from the cache. A call whose static part from `d` on is all new (a one-off prompt) had nothing
 * a cache could serve, whatever the previous call did: not drift.
 */
export function recursAfter(q: Sequence, s: PrefixScan, d: number): boolean {
  for (let i = d; i < s.staticLen; i++) {
    for (let j = d; j < q.prevStatic; j++) if (s.idA[i] === q.prevA[j] && s.idB[i] === q.prevB[j]) return true;
  }
  return false;
}

/** The same static blocks in another order. */
export function isReorder(q: Sequence, s: PrefixScan): boolean {
  if (q.prevStatic !== s.staticLen) return false;
  const ids = (a: Float64Array, b: Float64Array) => Array.from({ length: s.staticLen }, (_, i) => `${a[i]}:${b[i]}`).sort().join();
  return ids(q.prevA, q.prevB) === ids(s.idA, s.idB);
}

/** Keeps this call's static blocks as the sequence's previous call. */
export function keepStatic(q: Sequence, s: PrefixScan): void {
  if (q.prevA.length < s.staticLen) {
    q.prevA = new Float64Array(s.idA.length);
    q.prevB = new Float64Array(s.idB.length);
  }
  q.prevA.set(s.idA.subarray(0, s.staticLen));
  q.prevB.set(s.idB.subarray(0, s.staticLen));
  q.prevStatic = s.staticLen;
}

export function tokensBetween(s: PrefixScan, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to && i < s.len; i++) n += s.tokens[i]!;
  return n;
}

function blockLabel(p: PrefixRecord, pos: number): string {
  const blocks = p.b;
  const kind: BlockKind | undefined = blocks[pos]?.[0];
  if (kind === undefined) return `block ${pos}`;
  let nth = 0;
  for (let i = 0; i < pos; i++) if (blocks[i]![0] === kind) nth++;
  return `${kind === 't' ? 'tool' : kind === 's' ? 'system block' : 'message block'} ${nth} (block ${pos})`;
}

export function trackDrift(sequences: Map<string, Sequence>, scan: PrefixScan, moves: PriceMoves, s: Seen): void {
  if (s.staticLen === 0) return;
  const id = `${s.group}\u0000${s.scope}\u0000${s.row.tags.workflow ?? ''}`;
  let q = sequences.get(id);
  if (!q) {
    q = {
      group: s.group, model: s.row.model, prev: undefined, prevStatic: 0, prevA: new Float64Array(0), prevB: new Float64Array(0),
      pairs: 0, drift: 0, reorder: 0, sameSessionPairs: 0, sameSessionDrift: 0, crossSessionPairs: 0, crossSessionDrift: 0,
      positions: new Map(), saving: 0n, examples: [], sample: undefined, versions: new Map(),
    };
    sequences.set(id, q);
  }
  const prev = q.prev;
  q.prev = s.row;
  if (prev) comparePrevious(scan, moves, q, prev, s);
  keepStatic(q, scan);
}

function comparePrevious(scan: PrefixScan, moves: PriceMoves, q: Sequence, prev: CacheRow, s: Seen): void {
  q.pairs++;
  const same = prev.sessionId !== null && prev.sessionId === s.row.sessionId;
  if (same) q.sameSessionPairs++;
  else q.crossSessionPairs++;
  const version = s.row.tags.client_version ?? '';
  let tally = q.versions.get(version);
  if (!tally) q.versions.set(version, (tally = { pairs: 0, drift: 0 }));
  tally.pairs++;
  const d = firstDifference(q, scan);
  if (d === undefined || !recursAfter(q, scan, d)) return;
  q.drift++;
  tally.drift++;
  if (same) q.sameSessionDrift++;
  else q.crossSessionDrift++;
  if (isReorder(q, scan)) q.reorder++;
  q.positions.set(d, (q.positions.get(d) ?? 0) + 1);
  if (q.examples.length < EXAMPLES) q.examples.push(s.row.id);
  q.sample ??= s.row;
  const ttl = s.row.cacheWrite1hTokens > 0 ? TTL_1H : TTL_5M;
  if (s.row.ts - prev.ts <= ttl) q.saving += driftSaving(scan, moves, s, d);
}

/** What the request would have saved had its static prefix matched the previous call's. */
function driftSaving(scan: PrefixScan, moves: PriceMoves, s: Seen, d: number): Picos {
  const row = s.row;
  const lastBp = scan.lastBp >= 0 ? scan.lastBp : undefined;
  const staticTokens = Math.round(tokensBetween(scan, d, s.staticLen) * s.scale);
  if (row.cacheWriteTokens > 0 && lastBp !== undefined) {
    // The breakpoint sits inside the static part: everything written is static, by the provider's own count.
    if (lastBp < s.staticLen && d <= lastBp) return moves.writeToRead(row, row.cacheWriteTokens);
    if (lastBp >= s.staticLen) return moves.writeToRead(row, Math.min(row.cacheWriteTokens, staticTokens));
    return 0n;
  }
  // Automatic prefix caching (OpenAI, Gemini) needs no breakpoint; Anthropic does (see missing_breakpoint).
  if (row.api !== 'anthropic.messages' && lastBp === undefined) return moves.inputToRead(row, staticTokens);
  return 0n;
}

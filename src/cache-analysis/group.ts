import type { CacheRow } from '../core/ledger-row.js';
import { type Picos, roundHalfUp } from '../core/money.js';
import type { CacheGroupBy, Finding, GroupStats, Side } from './types.js';

/** What the analyser adds up per group (workflow, key, model or session) as rows pass. */
export interface GroupAcc {
  requests: number;
  hashed: number;
  input: number;
  read: number;
  write: number;
  cost: Picos;
  est: number;
  repeated: number;
  wasted: number;
  wastedPicos: Picos;
  wastedExamples: string[];
  wastedTokens: number;
  writes: number;
  /** Writes whose TTL was still running when the window ended (neither read nor wasted yet). */
  openWrites: number;
  ttlSaving: Picos;
  ttlCount: number;
  ttlExamples: string[];
  missingSaving: Picos;
  missingCount: number;
  missingExamples: string[];
  missingModel: string;
  /** The models that made the wasted writes, and the 5-minute writes a 1-hour TTL would have kept: the findings name them, not the group's busiest. */
  wastedModels: Map<string, number>;
  ttlModels: Map<string, number>;
  auto: [SideAcc, SideAcc];
}

export interface SideAcc {
  requests: number;
  input: number;
  read: number;
  cost: Picos;
}

export function newGroup(): GroupAcc {
  const side = (): SideAcc => ({ requests: 0, input: 0, read: 0, cost: 0n });
  return {
    requests: 0, hashed: 0, input: 0, read: 0, write: 0, cost: 0n, est: 0, repeated: 0,
    wasted: 0, wastedPicos: 0n, wastedExamples: [], wastedTokens: 0, writes: 0, openWrites: 0,
    ttlSaving: 0n, ttlCount: 0, ttlExamples: [],
    missingSaving: 0n, missingCount: 0, missingExamples: [], missingModel: '',
    wastedModels: new Map(), ttlModels: new Map(), auto: [side(), side()],
  };
}

export function groupOf(row: CacheRow, by: CacheGroupBy): string {
  switch (by) {
    case 'workflow':
      return row.tags.workflow ?? '(none)';
    case 'key':
      return row.keyId ?? '(none)';
    case 'model':
      return row.model;
    case 'session':
      return row.sessionId ?? '(none)';
  }
}

/** A group's line of the report table. */
export function groupStats(key: string, g: GroupAcc): GroupStats {
  return {
    key,
    requests: g.requests,
    hashed: g.hashed,
    inputTokens: g.input,
    cacheReadTokens: g.read,
    cacheWriteTokens: g.write,
    costPicos: g.cost,
    cacheReadShare: share(g.read, g.input),
    repeatedPrefixShare: share(g.repeated, g.est),
    wastedWrites: g.wasted,
    wastedWritePicos: g.wastedPicos,
  };
}

/** The group's own findings (wasted writes, a 1-hour TTL, a missing breakpoint), priced for the window and a week. */
export function groupFindings(key: string, g: GroupAcc, weekly: (p: Picos) => Picos): Finding[] {
  const findings: Finding[] = [];
  if (g.wastedPicos > 0n) {
    findings.push({
      kind: 'wasted_writes',
      group: key,
      ...modelsOf(g.wastedModels),
      windowPicos: g.wastedPicos,
      weeklyPicos: weekly(g.wastedPicos),
      title: `${g.wasted} of ${g.writes - g.openWrites} cache writes were never read back within their TTL`,
      fix: 'drop the cache breakpoint for these one-off prompts (each write costs more than plain input), or send the follow-up calls within the TTL',
      evidence: { requestIds: g.wastedExamples, count: g.wasted, outOf: g.writes - g.openWrites, tokens: g.wastedTokens },
    });
  }
  if (g.ttlSaving > 0n) {
    findings.push({
      kind: 'ttl_1h',
      group: key,
      ...modelsOf(g.ttlModels),
      windowPicos: g.ttlSaving,
      weeklyPicos: weekly(g.ttlSaving),
      title: `${g.ttlCount} prefixes were written again 5 to 60 minutes after a 5-minute write lapsed`,
      fix: 'use a 1-hour TTL (cache_control: {type: "ephemeral", ttl: "1h"}) on the stable prefix',
      evidence: { requestIds: g.ttlExamples, count: g.ttlCount, outOf: g.writes },
    });
  }
  if (g.missingSaving > 0n) {
    findings.push({
      kind: 'missing_breakpoint',
      group: key,
      model: g.missingModel,
      windowPicos: g.missingSaving,
      weeklyPicos: weekly(g.missingSaving),
      title: `${g.missingCount} requests repeated a cacheable prefix without any cache breakpoint`,
      fix: `add cache_control on the last system block, or let the gateway do it: cache: [{model: "${g.missingModel}", mode: auto}]`,
      evidence: { requestIds: g.missingExamples, count: g.missingCount, outOf: g.hashed },
    });
  }
  return findings;
}

/** Counts one more for `model`. */
export function countModel(counts: Map<string, number>, model: string): void {
  counts.set(model, (counts.get(model) ?? 0) + 1);
}

/** The model that counts most, and how many there were when more than one. */
function modelsOf(counts: Map<string, number>): { model: string; models?: number } {
  let model = '';
  let n = -1;
  for (const [m, c] of counts) if (c > n) [model, n] = [m, c];
  return counts.size > 1 ? { model, models: counts.size } : { model };
}

export function sideOf(s: SideAcc): Side {
  return { requests: s.requests, cacheReadShare: share(s.read, s.input), costPerRequestPicos: s.requests === 0 ? 0n : roundHalfUp(s.cost, BigInt(s.requests)) };
}

function share(part: number, whole: number): number {
  return whole > 0 ? part / whole : 0;
}


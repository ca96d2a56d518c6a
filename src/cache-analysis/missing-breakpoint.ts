import { minCacheableTokens } from './auto-breakpoints.js';
import { EXAMPLES, TTL_5M } from './constants.js';
import { tokensBetween } from './drift.js';
import type { GroupAcc } from './group.js';
import type { PrefixScan } from './prefix-scan.js';
import type { PriceMoves } from './price-moves.js';
import type { Seen } from './seen.js';

export function missingBreakpoint(scan: PrefixScan, moves: PriceMoves, before: Float64Array, s: Seen, g: GroupAcc): void {
  if (s.row.api !== 'anthropic.messages' || scan.bpCount > 0 || s.staticLen === 0 || s.row.cacheReadTokens > 0) return;
  const tokens = Math.round(tokensBetween(scan, 0, s.staticLen) * s.scale);
  if (tokens < minCacheableTokens(s.row.model)) return;
  const at = before[s.staticLen - 1]!;
  if (s.row.ts - at <= TTL_5M) {
    g.missingSaving += moves.inputToRead(s.row, tokens);
    g.missingCount++;
    g.missingModel ||= s.row.model;
    if (g.missingExamples.length < EXAMPLES) g.missingExamples.push(s.row.id);
  } else {
    // The first call of a prefix would have paid a write.
    g.missingSaving += moves.inputToWrite(s.row, tokens);
  }
}

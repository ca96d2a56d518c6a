import type { CacheRow } from '../core/ledger-row.js';
import type { Picos } from '../core/money.js';
import type { EntryKey } from './collections.js';

/** One row as the analyser keeps it; its prefix is read into the analyser's PrefixScan, which the next row reuses. */
export interface Seen {
  row: CacheRow;
  group: string;
  /** The cache scope (provider and model) as a small number. */
  scope: number;
  /** Whether the row carries a prefix the analyser understands. */
  hashed: boolean;
  /** Leading tool and system blocks. */
  staticLen: number;
  /** Real tokens per estimated token, from the provider's count of the whole prompt. */
  scale: number;
}

/** Consecutive calls of one workflow (or session, key, model) on one model, compared for drift. */
export interface Sequence {
  group: string;
  model: string;
  prev: CacheRow | undefined;
  /** The previous call's static blocks: their count and identities (PrefixScan's idA, idB). */
  prevStatic: number;
  prevA: Float64Array;
  prevB: Float64Array;
  pairs: number;
  drift: number;
  reorder: number;
  sameSessionPairs: number;
  sameSessionDrift: number;
  crossSessionPairs: number;
  crossSessionDrift: number;
  positions: Map<number, number>;
  saving: Picos;
  examples: string[];
  /** The first call that drifted (its prefix is decoded again for the evidence). */
  sample: CacheRow | undefined;
  /** Pairs and drifted pairs by the later call's client version ('' for none): a drift that came with a release. */
  versions: Map<string, VersionTally>;
}

export interface VersionTally {
  pairs: number;
  drift: number;
}

export interface PendingWrite {
  seen: Seen;
  key: EntryKey;
  ttl: number;
  tokens: number;
  done: boolean;
  /** Counted as a read under a 1-hour TTL (it rewrote a lapsed entry): it would pay no 1-hour write of its own. */
  readUnder1h?: boolean;
}

import type { CacheRow } from '../core/ledger-row.js';
import type { Picos } from '../core/money.js';
import type { PrefixRecord } from './prefix.js';

/** One row as the analyser needs it, with the prefix decoded and its running hashes. */
export interface Seen {
  row: CacheRow;
  group: string;
  scope: string;
  prefix: PrefixRecord | undefined;
  /** Running hash of blocks 0..i, for every stored block. */
  cum: number[];
  /** Leading tool and system blocks. */
  staticLen: number;
  /** Real tokens per estimated token, from the provider's count of the whole prompt. */
  scale: number;
}

/** Consecutive calls of one workflow (or session, key, model) on one model, compared for drift. */
export interface Sequence {
  group: string;
  model: string;
  prev: Seen | undefined;
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
  sample: Seen | undefined;
}

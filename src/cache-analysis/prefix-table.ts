const EMPTY = -1;
const SPLIT = 2 ** 21;

/**
 * Running prefix hashes by cache scope: when a request last carried each, and the list of its
 * writes not yet read back (`pend`, -1 for none). Every request looks up and stamps each of its
 * blocks (some forty for an agent's turn), so this is open addressing over typed arrays rather
 * than a Map, whose number keys above 31 bits are boxed: one probe a block serves the read-back,
 * the repeated-prefix and the stamping that follows.
 */
export class PrefixTable {
  at: Float64Array;
  pend: Int32Array;
  private scopes: Int32Array;
  private keys: Float64Array;
  private mask: number;
  private size = 0;

  constructor(capacity = 1 << 12) {
    this.mask = capacity - 1;
    this.scopes = new Int32Array(capacity).fill(EMPTY);
    this.keys = new Float64Array(capacity);
    this.at = new Float64Array(capacity);
    this.pend = new Int32Array(capacity);
  }

  /**
   * Room for `n` more entries, so that the slots `slot` returns stay put while they are added.
   * When the table is full it first drops what `keep` refuses (slots move), and grows only if
   * that frees too little.
   */
  reserve(n: number, keep: (at: number, pend: number) => boolean): void {
    if ((this.size + n) * 2 <= this.mask + 1) return;
    let kept = 0;
    for (let i = 0; i <= this.mask; i++) if (this.scopes[i] !== EMPTY && keep(this.at[i]!, this.pend[i]!)) kept++;
    this.rebuild(keep, (kept + n) * 4);
  }

  /** The slot of `key` in `scope`, added (never seen, no pending writes) when absent; call `reserve` first. */
  slot(scope: number, key: number): number {
    let i = home(scope, key) & this.mask;
    for (;;) {
      const s = this.scopes[i]!;
      if (s === EMPTY) {
        this.scopes[i] = scope;
        this.keys[i] = key;
        this.at[i] = Number.NEGATIVE_INFINITY;
        this.pend[i] = -1;
        this.size++;
        return i;
      }
      if (s === scope && this.keys[i] === key) return i;
      i = (i + 1) & this.mask;
    }
  }

  /** The slot of `key` in `scope`, or -1. */
  find(scope: number, key: number): number {
    let i = home(scope, key) & this.mask;
    for (;;) {
      const s = this.scopes[i]!;
      if (s === EMPTY) return -1;
      if (s === scope && this.keys[i] === key) return i;
      i = (i + 1) & this.mask;
    }
  }

  private rebuild(keep: (at: number, pend: number) => boolean, want: number): void {
    const { scopes, keys, at, pend } = this;
    let capacity = 1 << 12;
    while (capacity < want) capacity *= 2;
    this.mask = capacity - 1;
    this.scopes = new Int32Array(capacity).fill(EMPTY);
    this.keys = new Float64Array(capacity);
    this.at = new Float64Array(capacity);
    this.pend = new Int32Array(capacity);
    this.size = 0;
    for (let i = 0; i < scopes.length; i++) {
      if (scopes[i] === EMPTY || !keep(at[i]!, pend[i]!)) continue;
      const j = this.slot(scopes[i]!, keys[i]!);
      this.at[j] = at[i]!;
      this.pend[j] = pend[i]!;
    }
  }
}

/** A running hash is 53 bits: its top 32 and low 21, mixed with the scope. */
function home(scope: number, key: number): number {
  const hi = Math.floor(key / SPLIT);
  const lo = key - hi * SPLIT;
  let h = Math.imul(hi ^ Math.imul(scope, 0x27d4eb2d), 0x9e3779b1) ^ lo;
  h = Math.imul(h ^ (h >>> 15), 0x85ebca77);
  return h ^ (h >>> 13);
}

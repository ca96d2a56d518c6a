/**
 * Bounds the distinct values of one metric label. A label a client chooses (the model it
 * asks for, say) would otherwise let anyone grow the gateway's memory and the monitoring
 * system's series without limit: the first `max` values are kept, later ones read `other`.
 */
export class LabelCap {
  private readonly seen = new Set<string>();
  private readonly max: number;

  constructor(max: number) {
    this.max = max;
  }

  value(v: string): string {
    if (this.seen.has(v)) return v;
    if (this.seen.size >= this.max) return 'other';
    this.seen.add(v);
    return v;
  }
}

/**
 * Prometheus's text exposition format (version 0.0.4) for counters, gauges and histograms
 * kept by the gateway itself. prom-client formats Node's own metrics; the gateway's are
 * counted in plain maps, since prom-client's per-call label handling cost several µs a request.
 */
export type Labels = Record<string, string>;

/** `{a="x",b="y"}`, values escaped as the format requires; '' for no labels. */
export function labelText(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

export function header(name: string, type: 'counter' | 'gauge' | 'histogram', help: string): string {
  return `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n`;
}

/** A histogram's counts for one label set: `counts[i]` observations in bucket i alone (the last is +Inf). */
export class Buckets {
  readonly counts: number[];
  sum = 0;
  count = 0;
  private readonly bounds: readonly number[];

  constructor(bounds: readonly number[]) {
    this.bounds = bounds;
    this.counts = new Array<number>(bounds.length + 1).fill(0);
  }

  observe(v: number): void {
    let i = 0;
    while (i < this.bounds.length && v > this.bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += v;
    this.count++;
  }

  /** The `_bucket` (cumulative, `le` first), `_sum` and `_count` lines. */
  lines(name: string, labels: Labels): string {
    let out = '';
    let cumulative = 0;
    for (let i = 0; i <= this.bounds.length; i++) {
      cumulative += this.counts[i]!;
      const le = i < this.bounds.length ? String(this.bounds[i]) : '+Inf';
      out += `${name}_bucket${labelText({ le, ...labels })} ${cumulative}\n`;
    }
    const l = labelText(labels);
    return `${out}${name}_sum${l} ${this.sum}\n${name}_count${l} ${this.count}\n`;
  }
}

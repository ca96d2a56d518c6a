import { rateMarkUntil } from './rate-mark.js';
import type { HealthMark, HealthStore, RateMark } from './port.js';

/** Health marks in this process (tests, and a single gateway that wants the same interface). */
export class MemoryHealthStore implements HealthStore {
  private readonly marks = new Map<string, HealthMark>();
  private readonly rates = new Map<string, RateMark>();

  mark(m: HealthMark): Promise<void> {
    const cur = this.marks.get(m.deployment);
    if (!cur || m.until >= cur.until) this.marks.set(m.deployment, { ...m });
    return Promise.resolve();
  }

  clear(deployment: string): Promise<void> {
    this.marks.delete(deployment);
    return Promise.resolve();
  }

  read(deployments: readonly string[], now: number): Promise<HealthMark[]> {
    const out: HealthMark[] = [];
    for (const d of deployments) {
      const m = this.marks.get(d);
      if (m && m.until > now) out.push({ ...m });
    }
    return Promise.resolve(out);
  }

  shareRates(marks: readonly RateMark[]): Promise<void> {
    for (const m of marks) {
      const cur = this.rates.get(m.deployment);
      if (!cur || m.at > cur.at) this.rates.set(m.deployment, structuredClone(m));
    }
    return Promise.resolve();
  }

  readRates(deployments: readonly string[], now: number): Promise<RateMark[]> {
    const out: RateMark[] = [];
    for (const d of deployments) {
      const m = this.rates.get(d);
      if (m && rateMarkUntil(m) > now) out.push(structuredClone(m));
    }
    return Promise.resolve(out);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

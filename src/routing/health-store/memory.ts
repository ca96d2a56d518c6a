import type { HealthMark, HealthStore } from './port.js';

/** Health marks in this process (tests, and a single gateway that wants the same interface). */
export class MemoryHealthStore implements HealthStore {
  private readonly marks = new Map<string, HealthMark>();

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

  close(): Promise<void> {
    return Promise.resolve();
  }
}

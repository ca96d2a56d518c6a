import type { Evaluator } from './evaluator.js';
import type { Detection } from './types.js';

export interface WatchDeps {
  /** The evaluation (`evaluate()` over a series cache), usually in a child process of its own. */
  evaluator: Evaluator;
  intervalMs: number;
  /** Makes rows still in this process's write buffer visible first. */
  flush: () => Promise<void>;
  /** Claims an anomaly's key across replicas (storage `claimAlert`); true for the first claimant only. */
  claim: (key: string, at: number) => Promise<boolean>;
  /** Sends one newly claimed anomaly (the webhook sink and the audit log). */
  raise: (d: Detection, at: number) => void;
  onError: (err: unknown) => void;
  now: () => number;
}

/**
 * The live scheduler: evaluates the detectors every `intervalMs` and raises each anomaly
 * once. Every replica evaluates; the storage claim makes exactly one of them send it.
 */
export class AnomalyWatch {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<Detection[]> | undefined;
  private stopped = false;
  private readonly d: WatchDeps;
  /** Keys this process already claimed or saw claimed, so a long anomaly costs one claim. */
  private readonly known = new Set<string>();

  constructor(d: WatchDeps) {
    this.d = d;
  }

  start(): void {
    this.timer = setInterval(() => void this.check(), this.d.intervalMs);
    this.timer.unref();
  }

  /** Stops the timer and the evaluation process, cutting short an evaluation under way (a cold one can take seconds). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.d.evaluator.close();
    await this.running;
  }

  /** One evaluation; returns the anomalies this call raised (a run under way makes it a no-op). */
  async check(): Promise<Detection[]> {
    if (this.running) return [];
    this.running = this.run();
    try {
      return await this.running;
    } finally {
      this.running = undefined;
    }
  }

  private async run(): Promise<Detection[]> {
    try {
      await this.d.flush();
      const at = this.d.now();
      const raised: Detection[] = [];
      for (const det of await this.d.evaluator.evaluate(at)) {
        if (this.known.has(det.key)) continue;
        const first = await this.d.claim(`anomaly:${det.key}`, at);
        // Remembered only once the claim is decided: a claim that failed is tried again next time.
        if (this.known.size > 100_000) this.known.clear();
        this.known.add(det.key);
        if (!first) continue;
        raised.push(det);
        this.d.raise(det, at);
      }
      return raised;
    } catch (err) {
      if (!this.stopped) this.d.onError(err);
      return [];
    }
  }
}

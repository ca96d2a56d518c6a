import type { RateBook } from '../pricing/unit-rates.js';
import type { LedgerStore } from '../storage/ports.js';
import { evaluate } from './evaluate.js';
import { SeriesReader } from './inputs.js';
import type { AnomalySettings, Detection } from './types.js';

export interface WatchDeps {
  ledger: LedgerStore;
  settings: AnomalySettings;
  rates: RateBook;
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
  private running = false;
  private readonly reader: SeriesReader;
  private readonly d: WatchDeps;
  /** Keys this process already claimed or saw claimed, so a long anomaly costs one claim. */
  private readonly known = new Set<string>();

  constructor(d: WatchDeps) {
    this.d = d;
    this.reader = new SeriesReader(d.ledger);
  }

  start(): void {
    this.timer = setInterval(() => void this.check(), this.d.settings.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One evaluation; returns the anomalies this call raised (a run under way makes it a no-op). */
  async check(): Promise<Detection[]> {
    if (this.running) return [];
    this.running = true;
    try {
      await this.d.flush();
      const at = this.d.now();
      const raised: Detection[] = [];
      for (const det of await evaluate(this.reader, at, this.d.settings, this.d.rates)) {
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
      this.d.onError(err);
      return [];
    } finally {
      this.running = false;
    }
  }
}

import { isTimed, whoOf } from './episodes.js';
import type { Evaluator } from './evaluator.js';
import type { LivePass, LiveState } from './live.js';
import type { PolicyStore } from '../storage/ports.js';
import type { Detection } from './types.js';

export interface WatchDeps {
  /** The evaluation (`evaluate()` over a series cache), usually in a child process of its own. */
  evaluator: Evaluator;
  intervalMs: number;
  /** Makes rows still in this process's write buffer visible first. */
  flush: () => Promise<void>;
  /** Claims an anomaly's key across replicas (storage `claimAlert`); true for the first claimant only. */
  claim: (key: string, at: number) => Promise<boolean>;
  /**
   * Sends one newly claimed anomaly (the webhook sink and the audit log). `late`: only a past
   * evaluation found it, in rows written after its window was evaluated; the evaluation of the
   * present does not.
   */
  raise: (d: Detection, at: number, late: boolean) => void;
  onError: (err: unknown) => void;
  /** Told of each pass that ran past evaluations for late rows, owes some, or left some out as too old. */
  onLate?: (late: LivePass['late']) => void;
  now: () => number;
  /**
   * Where the first pass starts: the state the last pass of any process saved, else storage's
   * arrival cursor from before this process wrote anything (before it replayed its spool). Rows
   * written since its cursor are looked at for lateness by the first pass. Without a cursor the
   * first pass takes one and only rows written after it are.
   */
  start?: LiveState | undefined;
  /** Keeps the state of a pass that ran and raised what it found, for the next process to start from (never rejects). */
  save?: (state: LiveState, at: number) => Promise<void>;
  /**
   * The key of the episode a detection of a timed detector belongs to across replicas (storage
   * `joinEpisode`): a replica that first finds an anomaly after the hour has turned, which another
   * found before it, even at the same moment, then claims that one's key instead of alerting anew.
   */
  joinEpisode?: PolicyStore['joinEpisode'];
}

/**
 * The live scheduler: evaluates the detectors every `intervalMs` and raises each anomaly
 * once. Every replica evaluates; the storage claim makes exactly one of them send it. Each
 * pass also runs again the past evaluations whose windows received rows written late (see
 * livePass), so those anomalies are raised too, once, as `tollgate detect` finds them.
 */
export class AnomalyWatch {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<Detection[]> | undefined;
  private stopped = false;
  private readonly d: WatchDeps;
  /** Keys this process already claimed or saw claimed, so a long anomaly costs one claim. */
  private readonly known = new Set<string>();
  /** Where the last pass left the ledger's arrivals, and the past evaluations it still owes. */
  private state: LiveState;

  constructor(d: WatchDeps) {
    this.d = d;
    // Its clock is not this process's: the first pass takes every earlier evaluation as past.
    this.state = { cursor: d.start?.cursor, owed: d.start?.owed ?? [], episodes: d.start?.episodes };
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
      const pass = await this.d.evaluator.evaluate(at, this.state);
      // Taken only from a pass that ran: after a failure the next one looks at the same arrivals again.
      this.state = pass.state;
      if (pass.late.evaluated + pass.late.owed + pass.late.tooOld > 0) this.d.onLate?.(pass.late);
      const present = new Set(pass.detections.slice(pass.foundLate).map((d) => d.key));
      // One anomaly that several evaluations of this pass found under keys of different hours (a late
      // one and the present one, or two late ones) is one alert: the present's, else the earliest.
      const presentWho = new Set(pass.detections.slice(pass.foundLate).map(whoOf));
      const lateWho = new Set<string>();
      for (const [i, found] of pass.detections.entries()) {
        if (i < pass.foundLate) {
          // The present evaluation found it too: its detection, of the traffic now, is the one raised.
          if (present.has(found.key) || presentWho.has(whoOf(found)) || lateWho.has(whoOf(found))) continue;
          lateWho.add(whoOf(found));
        }
        const det = await this.episodeOf(found);
        if (this.known.has(det.key)) continue;
        const first = await this.d.claim(`anomaly:${det.key}`, at);
        // Remembered only once the claim is decided: a claim that failed is tried again next time.
        if (this.known.size > 100_000) this.known.clear();
        this.known.add(det.key);
        if (!first) continue;
        raised.push(det);
        this.d.raise(det, at, i < pass.foundLate);
      }
      await this.d.save?.(this.state, at);
      return raised;
    } catch (err) {
      if (!this.stopped) this.d.onError(err);
      return [];
    }
  }

  private async episodeOf(d: Detection): Promise<Detection> {
    if (!this.d.joinEpisode || !isTimed(d)) return d;
    // The gap is the evaluation interval, as in the evaluation's own continueEpisodes.
    const key = await this.d.joinEpisode({ who: whoOf(d), key: d.key, start: d.windowStart, end: d.windowEnd }, this.d.intervalMs);
    return key === d.key ? d : { ...d, key };
  }
}

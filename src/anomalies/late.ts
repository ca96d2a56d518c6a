import type { AnomalySettings, DetectorId } from './types.js';
import { DETECTORS } from './types.js';

/** Past evaluations, by their clock, and the detectors each must run again. */
export type Owed = Map<number, Set<DetectorId>>;

/**
 * The past evaluations that rows written since the last pass belong to and missed. The rows
 * come as the `intervalMs` buckets of their `ts` (storage `arrivedSince`), each holding rows that
 * had started more than an interval before the last pass at `lastAt`: rows that arrive within an
 * interval are judged by the next evaluation like any other. Past evaluations are those of the
 * live clock, `lastAt` minus whole intervals; one is owed, for a detector, when its window holds
 * a bucket's row that had started more than an interval before it (an upper bound: a bucket's
 * rows are taken to start at its first instant, so an evaluation too many rather than one too
 * few). Those before `earliest` (the lateness horizon) are left out; `tooOld` counts them.
 */
export function missedEvaluations(buckets: readonly number[], lastAt: number, settings: AnomalySettings, earliest: number): { owed: Owed; tooOld: number } {
  const step = settings.intervalMs;
  const owed: Owed = new Map();
  const tooOld = new Set<number>();
  for (const id of DETECTORS) {
    const d = settings.detectors[id];
    if (!d.enabled) continue;
    for (const b of buckets) {
      // Instants a = lastAt − k·step with b + step < a < b + step + window, and a ≤ lastAt.
      const kMax = Math.ceil((lastAt - b - step) / step) - 1;
      const kMin = Math.max(0, Math.floor((lastAt - b - step - d.windowMs) / step) + 1);
      for (let k = kMin; k <= kMax; k++) {
        const at = lastAt - k * step;
        if (at < earliest) {
          tooOld.add(at);
          continue;
        }
        let set = owed.get(at);
        if (!set) owed.set(at, (set = new Set()));
        set.add(id);
      }
    }
  }
  return { owed, tooOld: tooOld.size };
}

/** Adds `more` into `into`. */
export function addOwed(into: Owed, more: Owed): void {
  for (const [at, ids] of more) {
    const set = into.get(at);
    if (set) for (const id of ids) set.add(id);
    else into.set(at, new Set(ids));
  }
}

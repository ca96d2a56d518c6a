import type { LedgerStore } from '../storage/ports.js';
import type { RateBook } from '../pricing/unit-rates.js';
import { type Episode, continueEpisodes } from './episodes.js';
import { evaluate } from './evaluate.js';
import { SeriesReader } from './inputs.js';
import type { AnomalySettings, Detection, DetectorId } from './types.js';

/** A detection and the evaluation that would have raised it. */
export interface Raised {
  at: number;
  detection: Detection;
}

export interface ReplayOptions {
  since: number;
  until: number;
  /** Evaluation step; the live interval by default. */
  stepMs?: number;
  only?: DetectorId;
  /** Told after each evaluation how many of the window's evaluations have run. */
  progress?: (done: number, total: number) => void;
}

/**
 * What the detectors would have raised over a past window: the evaluation clock steps
 * from `since` to `until` as the live scheduler's would, and each anomaly is reported at
 * the first evaluation that found it (de-duplicated on its key, an anomaly still under way when
 * the hour turns keeping its first key, as live alerts are).
 */
export async function replay(ledger: LedgerStore, settings: AnomalySettings, rates: RateBook, o: ReplayOptions): Promise<Raised[]> {
  const step = o.stepMs ?? settings.intervalMs;
  if (!(step > 0)) throw new RangeError('the evaluation step must be positive');
  if (o.until <= o.since) throw new RangeError('until must be after since');
  const reader = new SeriesReader(ledger);
  const seen = new Set<string>();
  const out: Raised[] = [];
  const total = Math.floor((o.until - o.since) / step);
  let done = 0;
  let episodes: Episode[] = [];
  for (let at = o.since + step; at <= o.until; at += step) {
    const found = continueEpisodes(await evaluate(reader, at, settings, rates, o.only), episodes, at, step);
    episodes = found.episodes;
    for (const d of found.detections) {
      if (seen.has(d.key)) continue;
      seen.add(d.key);
      out.push({ at, detection: d });
    }
    o.progress?.(++done, total);
  }
  return out;
}

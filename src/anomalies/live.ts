import type { LedgerStore } from '../storage/ports.js';
import { type Episode, continueEpisodes } from './episodes.js';
import { type DetectorRates, evaluate } from './evaluate.js';
import type { SeriesReader } from './inputs.js';
import { type Owed, addOwed, missedEvaluations } from './late.js';
import type { AnomalySettings, Detection, DetectorId } from './types.js';

/** What the live scheduler carries from one pass to the next (plain data: it crosses to the evaluation process and back). */
export interface LiveState {
  /** Storage's arrival cursor as of the last pass (undefined before the first). */
  cursor?: string | undefined;
  /** The last pass's clock. */
  lastAt?: number | undefined;
  /** Past evaluations owed to late rows and not run yet (a pass's budget ran out), oldest first. */
  owed: [number, DetectorId[]][];
  /** Anomalies found at the last passes, so that one still under way when the hour turns keeps its key (episodes.ts). */
  episodes?: Episode[] | undefined;
}

export interface LivePass {
  /** The late evaluations' detections, oldest first, then this one's. */
  detections: Detection[];
  /** How many of `detections`, the first ones, the late evaluations found. */
  foundLate: number;
  state: LiveState;
  late: {
    /** Past evaluations run again for late rows in this pass. */
    evaluated: number;
    /** Left owed for the next passes. */
    owed: number;
    /** Past evaluations late rows missed that are older than the lateness horizon: not run. */
    tooOld: number;
  };
}

/**
 * One pass of the live scheduler at `now`: first the past evaluations whose windows received
 * rows since the last pass (rows written late: a long stream, an import, a spool replayed after
 * a crash; see late.ts), oldest first, for as long as `budgetMs` allows (one at least, the rest
 * owed to the next passes); then the evaluation at `now`. `reader(stale)` gives the series
 * reader: `stale` says late rows may have changed hours it cached.
 */
export async function livePass(
  ledger: LedgerStore,
  reader: (stale: boolean) => SeriesReader,
  now: number,
  state: LiveState,
  settings: AnomalySettings,
  rates: DetectorRates,
  budgetMs: number,
  clock: () => number = Date.now,
): Promise<LivePass> {
  const started = clock();
  const earliest = now - settings.lateHorizonMs;
  const owed: Owed = new Map(state.owed.filter(([at]) => at >= earliest).map(([at, ids]) => [at, new Set(ids)]));
  let tooOld = state.owed.length - owed.size;
  let cursor = state.cursor;
  let stale = false;
  if (settings.lateHorizonMs <= 0) {
    // Late rows are not looked for.
  } else if (cursor === undefined) {
    cursor = await ledger.arrivalCursor();
  } else {
    // A first pass knows of no evaluation before it: every earlier one is past.
    const lastAt = state.lastAt ?? now - settings.intervalMs;
    const arrived = await ledger.arrivedSince(cursor, { tsBefore: lastAt - settings.intervalMs, bucketMs: settings.intervalMs });
    cursor = arrived.cursor;
    stale = arrived.buckets.length > 0;
    const missed = missedEvaluations(arrived.buckets, lastAt, settings, earliest);
    addOwed(owed, missed.owed);
    tooOld += missed.tooOld;
  }
  const series = reader(stale);
  const detections: Detection[] = [];
  const queue = [...owed.keys()].sort((a, b) => a - b);
  let evaluated = 0;
  for (const at of queue) {
    if (evaluated > 0 && clock() - started >= budgetMs) break;
    detections.push(...(await evaluate(series, at, settings, rates, owed.get(at))));
    owed.delete(at);
    evaluated++;
  }
  const foundLate = detections.length;
  detections.push(...(await evaluate(series, now, settings, rates)));
  const episodes = continueEpisodes(detections, state.episodes ?? [], now, settings.intervalMs);
  return {
    detections: episodes.detections,
    foundLate,
    state: { cursor, lastAt: now, owed: [...owed].sort((a, b) => a[0] - b[0]).map(([at, ids]) => [at, [...ids]]), episodes: episodes.episodes },
    late: { evaluated, owed: owed.size, tooOld },
  };
}

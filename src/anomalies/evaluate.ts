import type { RateBook } from '../pricing/unit-rates.js';
import { agentLoops, loopObservations } from './agent-loop.js';
import { LONG_WINDOW_MS, cacheRegressions } from './cache-regression.js';
import type { SeriesReader } from './inputs.js';
import { STORM_EXAMPLES, retryStorms } from './retry-storm.js';
import { withRelease } from './release-contrast.js';
import { runawaySessions } from './runaway-session.js';
import { spendSpikes } from './spend-spike.js';
import type { ExampleSubject } from '../storage/ports.js';
import type { AnomalySettings, Detection, DetectorId } from './types.js';

/** Example requests named in a spend spike's or cache regression's evidence. */
const EXAMPLES = 5;

/**
 * Token rates for the dollar figures. `prepare`, when present, is told which models the
 * evaluation is about to price, before it does: an evaluation process keeps no price catalog of
 * its own (loading it measured about 18 MB) and asks the gateway.
 */
export type DetectorRates = RateBook & { prepare?(models: readonly ModelRef[], at: number): Promise<void> };
export interface ModelRef {
  provider: string;
  model: string;
}

/**
 * One evaluation at `now`: reads the series and runs every enabled detector (or only
 * `only`). The live scheduler (through livePass) and `tollgate detect` replay both call this.
 */
export async function evaluate(reader: SeriesReader, now: number, settings: AnomalySettings, rates: DetectorRates, only?: DetectorId | ReadonlySet<DetectorId>): Promise<Detection[]> {
  const d = settings.detectors;
  const on = (id: DetectorId) => d[id].enabled && (only === undefined || (typeof only === 'string' ? only === id : only.has(id)));
  const out: Detection[] = [];
  if (on('spend_spike')) {
    for (const series of await reader.spend(d.spend_spike.dimensions, now, d.spend_spike.windowMs, d.spend_spike.baselineDays)) {
      for (const spike of spendSpikes(series, now, d.spend_spike)) out.push(await withExamples(reader, spike, { kind: series.dimension, value: spike.subject.slice(series.dimension.length + 1) }, 'cost'));
    }
  }
  if (on('runaway_session')) out.push(...runawaySessions(await reader.sessions(now, d.runaway_session.windowMs, d.runaway_session.historyDays), now, d.runaway_session));
  if (on('agent_loop')) out.push(...agentLoops(loopObservations(await reader.repeatedSteps(now, d.agent_loop.windowMs, d.agent_loop.minRepeats)), now, d.agent_loop));
  if (on('retry_storm')) {
    const w = d.retry_storm.windowMs;
    for (const storm of retryStorms(await reader.callers(now, w), now, d.retry_storm)) {
      out.push({ ...storm, evidence: { ...storm.evidence, requestIds: await reader.failedIds(now, w, storm.subject, STORM_EXAMPLES) } });
    }
  }
  if (on('cache_regression')) {
    const c = d.cache_regression;
    const use = await reader.cacheUse(now, c.windowMs, c.baselineDays, c.fastWindowMs, LONG_WINDOW_MS, c.warmMinRequests > 0 ? c.fastWindowMs : 0);
    await rates.prepare?.([...use.current, ...use.recent, ...use.lastHour, ...use.warm], now);
    for (const r of cacheRegressions(use, now, d.cache_regression, rates)) {
      const found = await withExamples(reader, r, { kind: 'workflow', value: r.subject.slice('workflow:'.length) }, 'uncached');
      out.push(await withRelease(found, (workflow, since, until) => reader.releaseUse(workflow, since, until)));
    }
  }
  return out;
}

/** Example requests of the detection's window, read only once it is found: the costliest for a spike, those reading least from cache for a regression. */
async function withExamples(reader: SeriesReader, found: Detection, subject: ExampleSubject, order: 'cost' | 'uncached'): Promise<Detection> {
  const requestIds = await reader.exampleIds(found.windowStart, found.windowEnd, subject, order, EXAMPLES);
  return { ...found, evidence: { ...found.evidence, requestIds } };
}

import type { WindowSpec } from './window.js';

/**
 * The period a budget's threshold and refusal alerts are raised once in, from the start of
 * what its window counts (WindowPosition.from). A calendar window is that period itself. A
 * rolling window's start moves on at every bucket step (5 minutes for `5h`), so keyed by it
 * a budget that stays past a threshold alerted again at each step; it is keyed instead by the
 * span-long period (counted from the epoch) that start falls in, once a span at most.
 */
export function alertPeriod(w: WindowSpec, windowStart: number): number {
  return w.kind === 'rolling' ? Math.floor(windowStart / w.ms) * w.ms : windowStart;
}

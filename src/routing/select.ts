import type { Capacity } from './capacity.js';
import type { DeploymentHealth } from './health.js';
import type { Deployment } from './types.js';

/** A deployment a request may use: its tier is 0 for the route's own, 1.. for each fallback model. */
export interface Candidate {
  d: Deployment;
  tier: number;
  /** The model to ask this deployment for. */
  model: string;
  /** The model it serves as policy and budgets name it: the route's or fallback's, not the deployment's upstream alias. */
  routeModel: string;
  health: DeploymentHealth;
  cap: Capacity;
  /** Tries on it for this request, and when it may be tried again. */
  tries: number;
  retryAt: number;
}

export type Pick =
  | { kind: 'go'; c: Candidate }
  /** Nothing is usable now; `capacity` says the wait is for rate-limit room on a deployment not tried yet, rather than a retry. */
  | { kind: 'wait'; until: number; capacity: boolean }
  | { kind: 'none' };

export interface PickInput {
  /** Sorted by tier, then order. */
  candidates: readonly Candidate[];
  perDeployment: number;
  tokens: number;
  now: number;
  sticky: string | undefined;
  missCostFactor: number;
  random: () => number;
}

/**
 * Picks the deployment for the next attempt, from the first group (same tier and order)
 * that has one usable now: healthy, with rate-limit room, and not waiting out a retry.
 * Deployments not yet tried by this request come first, in every group, before a second
 * try of any; the sticky one (cache affinity) is kept
 * unless another has `missCostFactor` times its headroom; otherwise a weighted draw
 * favouring headroom. With none usable, says when the first one will be.
 */
export function pick(x: PickInput): Pick {
  const cs = x.candidates;
  // Every untried deployment, in order, comes before a second try of any.
  for (const untried of [true, false]) {
    let i = 0;
    while (i < cs.length) {
      let j = i;
      while (j < cs.length && cs[j]!.tier === cs[i]!.tier && cs[j]!.d.order === cs[i]!.d.order) j++;
      const chosen = pickInGroup(x, i, j, untried);
      if (chosen) return { kind: 'go', c: chosen };
      i = j;
    }
  }
  let until = Infinity;
  let capacity = true;
  for (const c of cs) {
    if (c.tries >= x.perDeployment) continue;
    const healthAt = c.health.availableAt(x.now);
    const capAt = c.cap.freeAt(x.tokens, x.now);
    const at = Math.max(healthAt, capAt, c.retryAt);
    if (at < until) {
      until = at;
      // A deployment this request already tried is waited for as a retry (retry.max_wait_ms), even when a 429 rested it.
      capacity = c.tries === 0 && capAt >= healthAt && capAt >= c.retryAt;
    }
  }
  return until === Infinity ? { kind: 'none' } : { kind: 'wait', until, capacity };
}

function usable(x: PickInput, c: Candidate): boolean {
  return c.tries < x.perDeployment && c.retryAt <= x.now && c.health.available(x.now) && c.cap.freeAt(x.tokens, x.now) === 0;
}

function pickInGroup(x: PickInput, from: number, to: number, untried: boolean): Candidate | undefined {
  let total = 0;
  let best = 0;
  let sticky: Candidate | undefined;
  let stickyRoom = 0;
  let n = 0;
  let only: Candidate | undefined;
  for (let k = from; k < to; k++) {
    const c = x.candidates[k]!;
    if ((c.tries === 0) !== untried || !usable(x, c)) continue;
    const room = c.cap.headroom(x.now);
    if (room > best) best = room;
    if (c.d.id === x.sticky) {
      sticky = c;
      stickyRoom = room;
    }
    total += c.d.weight * (0.05 + room);
    n++;
    only = c;
  }
  if (n === 0) return undefined;
  if (sticky && stickyRoom * x.missCostFactor >= best) return sticky;
  if (n === 1) return only;
  let r = x.random() * total;
  for (let k = from; k < to; k++) {
    const c = x.candidates[k]!;
    if ((c.tries === 0) !== untried || !usable(x, c)) continue;
    r -= c.d.weight * (0.05 + c.cap.headroom(x.now));
    if (r <= 0) return c;
  }
  return only;
}

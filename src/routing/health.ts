import type { HealthPolicy } from './types.js';

export type BreakerState = 'closed' | 'open' | 'half_open';

/** Why a deployment is out of rotation, as shared between replicas. */
export type MarkKind = 'cooldown' | 'open' | 'ejected';

/** A change other replicas should learn about: the deployment is out until `until`, or back (`until` 0). */
export interface HealthChange {
  kind: MarkKind;
  until: number;
}

const EWMA_ALPHA = 0.1;

/**
 * One deployment's health in this process: a cooldown after repeated consecutive failures,
 * a circuit breaker over the last outcomes (closed → open → half-open → closed), and the
 * smoothed failure rate that outlier ejection compares across a route's deployments.
 * Time is passed in, so tests drive the clock.
 */
export class DeploymentHealth {
  breaker: BreakerState = 'closed';
  consecutive = 0;
  cooldownUntil = 0;
  openUntil = 0;
  ejectedUntil = 0;
  /** Smoothed failure rate, and outcomes seen (for outlier ejection). */
  failureRate = 0;
  seen = 0;
  /** What other replicas report (from the shared store): out until then. */
  remoteUntil = 0;
  private probes = 0;
  private readonly ring: Uint8Array;
  private ringAt = 0;
  private ringCount = 0;
  private ringFailures = 0;
  private readonly p: HealthPolicy;

  constructor(p: HealthPolicy) {
    this.p = p;
    this.ring = new Uint8Array(Math.max(1, p.breakerWindow));
  }

  /** Whether a new request may go here now. A half-open breaker lets a few probes through. */
  available(now: number): boolean {
    if (this.cooldownUntil > now || this.ejectedUntil > now || this.remoteUntil > now) return false;
    if (this.breaker === 'open') {
      if (now < this.openUntil) return false;
      this.breaker = 'half_open';
      this.probes = 0;
    }
    return this.breaker === 'closed' || this.probes < this.p.halfOpenProbes;
  }

  /** When it may take requests again (0 when it can now). */
  availableAt(now: number): number {
    if (this.available(now)) return 0;
    return Math.max(this.cooldownUntil, this.ejectedUntil, this.remoteUntil, this.breaker === 'open' ? this.openUntil : now + 100);
  }

  /** Outcomes in the breaker's window, and how many of them failed. */
  get recent(): { outcomes: number; failures: number } {
    return { outcomes: this.ringCount, failures: this.ringFailures };
  }

  /** The breaker as a new request would find it: an open one past its time is half-open. Changes nothing. */
  breakerAt(now: number): BreakerState {
    return this.breaker === 'open' && now >= this.openUntil ? 'half_open' : this.breaker;
  }

  started(): void {
    if (this.breaker === 'half_open') this.probes++;
  }

  /** An attempt that ended without an outcome (the client left): a half-open breaker's probe is free again. */
  abandoned(): void {
    if (this.breaker === 'half_open' && this.probes > 0) this.probes--;
  }

  succeeded(): HealthChange | undefined {
    this.consecutive = 0;
    this.push(0);
    if (this.breaker === 'half_open') {
      this.breaker = 'closed';
      this.probes = 0;
      this.resetRing();
      return { kind: 'open', until: 0 };
    }
    return undefined;
  }

  /** Records a failure; returns a change when it takes the deployment out of rotation. */
  failed(now: number): HealthChange | undefined {
    this.consecutive++;
    this.push(1);
    if (this.breaker === 'half_open') return this.open(now);
    if (this.breaker === 'closed' && this.ringCount >= this.p.breakerMinRequests && this.ringFailures / this.ringCount >= this.p.breakerFailureRatio) return this.open(now);
    if (this.consecutive >= this.p.cooldownFailures && this.cooldownUntil <= now) {
      this.cooldownUntil = now + this.p.cooldownMs;
      this.consecutive = 0;
      return { kind: 'cooldown', until: this.cooldownUntil };
    }
    return undefined;
  }

  eject(now: number): HealthChange {
    this.ejectedUntil = now + this.p.ejectionMs;
    // Judged afresh when it returns.
    this.failureRate = 0;
    this.seen = 0;
    return { kind: 'ejected', until: this.ejectedUntil };
  }

  private open(now: number): HealthChange {
    this.breaker = 'open';
    this.openUntil = now + this.p.breakerOpenMs;
    this.probes = 0;
    return { kind: 'open', until: this.openUntil };
  }

  private push(failed: 0 | 1): void {
    this.failureRate = this.seen === 0 ? failed : this.failureRate * (1 - EWMA_ALPHA) + failed * EWMA_ALPHA;
    this.seen++;
    if (this.ringCount === this.ring.length) this.ringFailures -= this.ring[this.ringAt]!;
    else this.ringCount++;
    this.ring[this.ringAt] = failed;
    this.ringFailures += failed;
    this.ringAt = (this.ringAt + 1) % this.ring.length;
  }

  private resetRing(): void {
    this.ring.fill(0);
    this.ringAt = this.ringCount = this.ringFailures = 0;
  }
}

/**
 * Outlier ejection across one route's deployments: the one whose smoothed failure rate is
 * at least `outlierFactor` times the mean of its peers (and clearly failing, above 20%) is
 * ejected for a while, unless that would eject more than `maxEjectedPercent` of the route.
 * Returns the index of the deployment to eject, or -1.
 */
export function findOutlier(all: readonly DeploymentHealth[], now: number, p: HealthPolicy): number {
  if (all.length < 2) return -1;
  let ejected = 0;
  for (const h of all) if (h.ejectedUntil > now) ejected++;
  if (((ejected + 1) * 100) / all.length > p.maxEjectedPercent) return -1;
  let worst = -1;
  for (let i = 0; i < all.length; i++) {
    const h = all[i]!;
    if (h.ejectedUntil > now || h.seen < p.outlierMinRequests || h.failureRate < 0.2) continue;
    let sum = 0;
    let n = 0;
    for (let j = 0; j < all.length; j++) {
      if (j === i || all[j]!.seen < p.outlierMinRequests) continue;
      sum += all[j]!.failureRate;
      n++;
    }
    if (n === 0) continue;
    const mean = sum / n;
    if (h.failureRate >= p.outlierFactor * Math.max(mean, 0.01) && (worst < 0 || h.failureRate > all[worst]!.failureRate)) worst = i;
  }
  return worst;
}

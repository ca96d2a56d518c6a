import { describe, expect, it } from 'vitest';
import { DeploymentHealth, findOutlier } from './health.js';
import { DEFAULT_HEALTH, type HealthPolicy } from './types.js';

const policy = (p: Partial<HealthPolicy> = {}): HealthPolicy => ({ ...DEFAULT_HEALTH, ...p });
const T0 = 1_000_000;

describe('deployment health (injected clock)', () => {
  it('cools down after repeated consecutive failures, and comes back when the cooldown ends', () => {
    const h = new DeploymentHealth(policy({ cooldownFailures: 3, cooldownMs: 5000, breakerMinRequests: 100 }));
    expect(h.failed(T0)).toBeUndefined();
    expect(h.failed(T0 + 1)).toBeUndefined();
    expect(h.failed(T0 + 2)).toEqual({ kind: 'cooldown', until: T0 + 5002 });
    expect(h.available(T0 + 5001)).toBe(false);
    expect(h.availableAt(T0 + 10)).toBe(T0 + 5002);
    expect(h.available(T0 + 5002)).toBe(true);
  });

  it('a success between failures resets the consecutive count', () => {
    const h = new DeploymentHealth(policy({ cooldownFailures: 2, breakerMinRequests: 100 }));
    h.failed(T0);
    h.succeeded();
    expect(h.failed(T0 + 1)).toBeUndefined();
    expect(h.available(T0 + 2)).toBe(true);
  });

  it('a half-open probe whose client left frees its place for another probe', () => {
    const h = new DeploymentHealth(policy({ breakerWindow: 2, breakerMinRequests: 2, breakerFailureRatio: 0.5, breakerOpenMs: 1000, cooldownFailures: 99, halfOpenProbes: 1 }));
    h.failed(T0);
    h.failed(T0);
    expect(h.available(T0 + 1000)).toBe(true);
    h.started();
    expect(h.available(T0 + 1001)).toBe(false);
    // Without it the breaker stayed half-open with its one probe taken, and the deployment out of rotation for good.
    h.abandoned();
    expect(h.available(T0 + 1002)).toBe(true);
    expect(h.breaker).toBe('half_open');
  });

  it('opens the breaker on a failure ratio, half-opens after the open time, and closes on a probe success', () => {
    const h = new DeploymentHealth(policy({ breakerWindow: 4, breakerMinRequests: 4, breakerFailureRatio: 0.5, breakerOpenMs: 1000, cooldownFailures: 99, halfOpenProbes: 1 }));
    h.succeeded();
    h.failed(T0);
    h.succeeded();
    expect(h.failed(T0 + 10)).toEqual({ kind: 'open', until: T0 + 1010 });
    expect(h.breaker).toBe('open');
    expect(h.available(T0 + 1009)).toBe(false);
    expect(h.available(T0 + 1010)).toBe(true);
    expect(h.breaker).toBe('half_open');
    h.started();
    // One probe at a time while half-open.
    expect(h.available(T0 + 1011)).toBe(false);
    expect(h.succeeded()).toEqual({ kind: 'open', until: 0 });
    expect(h.breaker).toBe('closed');
    expect(h.available(T0 + 1012)).toBe(true);
  });

  it('a failed probe opens the breaker again', () => {
    const h = new DeploymentHealth(policy({ breakerWindow: 2, breakerMinRequests: 2, breakerFailureRatio: 1, breakerOpenMs: 1000, cooldownFailures: 99 }));
    h.failed(T0);
    expect(h.failed(T0)).toMatchObject({ kind: 'open' });
    expect(h.available(T0 + 1000)).toBe(true);
    h.started();
    expect(h.failed(T0 + 1001)).toEqual({ kind: 'open', until: T0 + 2001 });
    expect(h.available(T0 + 1500)).toBe(false);
  });

  it('a mark from another replica keeps it out until the mark passes', () => {
    const h = new DeploymentHealth(policy());
    h.remoteUntil = T0 + 100;
    expect(h.available(T0)).toBe(false);
    expect(h.availableAt(T0)).toBe(T0 + 100);
    expect(h.available(T0 + 100)).toBe(true);
  });
});

describe('outlier ejection', () => {
  const p = policy({ outlierMinRequests: 5, outlierFactor: 3, maxEjectedPercent: 50, ejectionMs: 1000, cooldownFailures: 99, breakerMinRequests: 99 });
  const run = (h: DeploymentHealth, fails: number, oks: number) => {
    for (let i = 0; i < oks; i++) h.succeeded();
    for (let i = 0; i < fails; i++) h.failed(T0);
  };

  it('ejects the deployment failing far more than its peers, for a while', () => {
    const hs = [new DeploymentHealth(p), new DeploymentHealth(p), new DeploymentHealth(p)];
    run(hs[0]!, 0, 10);
    run(hs[1]!, 1, 10);
    run(hs[2]!, 6, 4);
    expect(findOutlier(hs, T0, p)).toBe(2);
    expect(hs[2]!.eject(T0)).toEqual({ kind: 'ejected', until: T0 + 1000 });
    expect(hs[2]!.available(T0 + 999)).toBe(false);
    expect(hs[2]!.available(T0 + 1000)).toBe(true);
  });

  it('ejects nobody when all fail alike, or when too many are out already', () => {
    const alike = [new DeploymentHealth(p), new DeploymentHealth(p)];
    run(alike[0]!, 5, 5);
    run(alike[1]!, 5, 5);
    expect(findOutlier(alike, T0, p)).toBe(-1);
    const two = [new DeploymentHealth(p), new DeploymentHealth(p)];
    run(two[0]!, 0, 10);
    run(two[1]!, 8, 2);
    two[0]!.ejectedUntil = T0 + 500;
    expect(findOutlier(two, T0, p)).toBe(-1);
  });
});

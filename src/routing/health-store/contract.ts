import { expect, it } from 'vitest';
import type { HealthStore } from './port.js';

/** What every health store must do, run against memory and Redis alike. Each test uses deployments of its own. */
export function healthStoreContract(make: () => HealthStore): void {
  let seq = 0;
  const ids = () => {
    const p = `d${process.pid}-${++seq}-${Math.random().toString(36).slice(2, 8)}`;
    return [`${p}-a`, `${p}-b`, `${p}-c`] as const;
  };

  it('returns marks in force, only for the deployments asked about', async () => {
    const store = make();
    const [a, b, c] = ids();
    const now = Date.now();
    await store.mark({ deployment: a, kind: 'open', until: now + 60_000 });
    await store.mark({ deployment: b, kind: 'cooldown', until: now + 30_000 });
    expect(await store.read([a, c], now)).toEqual([{ deployment: a, kind: 'open', until: now + 60_000 }]);
    expect((await store.read([a, b, c], now)).map((m) => m.deployment)).toEqual([a, b]);
    await store.close();
  });

  it('keeps the later of two marks', async () => {
    const store = make();
    const [a] = ids();
    const now = Date.now();
    await store.mark({ deployment: a, kind: 'open', until: now + 60_000 });
    await store.mark({ deployment: a, kind: 'cooldown', until: now + 10_000 });
    expect(await store.read([a], now)).toEqual([{ deployment: a, kind: 'open', until: now + 60_000 }]);
    await store.mark({ deployment: a, kind: 'ejected', until: now + 90_000 });
    expect(await store.read([a], now)).toEqual([{ deployment: a, kind: 'ejected', until: now + 90_000 }]);
    await store.close();
  });

  it('forgets a mark once it has passed, or once cleared', async () => {
    const store = make();
    const [a, b] = ids();
    const now = Date.now();
    await store.mark({ deployment: a, kind: 'cooldown', until: now + 40 });
    await store.mark({ deployment: b, kind: 'open', until: now + 60_000 });
    expect(await store.read([a], now + 41)).toEqual([]);
    await store.clear(b);
    // Only b is asked about: a's 40 ms mark may expire in real time between two reads on a loaded machine.
    expect((await store.read([a, b], now)).map((m) => m.deployment)).not.toContain(b);
    await store.close();
  });

  it('answers an empty question with nothing', async () => {
    const store = make();
    expect(await store.read([], Date.now())).toEqual([]);
    await store.close();
  });
}

/** What every store must do with shared rate-limit views. */
export function rateShareContract(make: () => HealthStore): void {
  const id = () => `r${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  const snap = (remaining: number, resetAt: number) => ({ requests: { limit: 100, remaining, resetAt }, tokens: { limit: undefined, remaining: remaining * 10, resetAt } });

  it('shares the latest rate-limit view of a deployment, only for those asked about', async () => {
    const store = make();
    const [a, b, c] = [id(), id(), id()];
    const now = Date.now();
    await store.shareRates([{ deployment: a, at: now, snapshot: snap(40, now + 30_000), blockedUntil: 0 }, { deployment: b, at: now, snapshot: {}, blockedUntil: now + 5000 }], now);
    const got = await store.readRates([a, c], now);
    expect(got).toEqual([{ deployment: a, at: now, snapshot: { requests: { limit: 100, remaining: 40, resetAt: now + 30_000 }, tokens: { remaining: 400, resetAt: now + 30_000 } }, blockedUntil: 0 }]);
    expect((await store.readRates([a, b, c], now)).map((m) => m.deployment)).toEqual([a, b]);
    await store.close();
  });

  it('shares the rate-limit headers of the 429 that paused a deployment', async () => {
    const store = make();
    const a = id();
    const now = Date.now();
    const headers = { 'anthropic-ratelimit-unified-status': 'rejected', 'anthropic-ratelimit-unified-reset': String(Math.floor(now / 1000) + 3600) };
    await store.shareRates([{ deployment: a, at: now, snapshot: {}, blockedUntil: now + 5000, headers }], now);
    expect(await store.readRates([a], now)).toEqual([{ deployment: a, at: now, snapshot: {}, blockedUntil: now + 5000, headers }]);
    await store.close();
  });

  it('keeps the view read last, whichever arrives last', async () => {
    const store = make();
    const a = id();
    const now = Date.now();
    await store.shareRates([{ deployment: a, at: now + 10, snapshot: snap(5, now + 30_000), blockedUntil: 0 }], now);
    await store.shareRates([{ deployment: a, at: now, snapshot: snap(50, now + 30_000), blockedUntil: 0 }], now);
    expect((await store.readRates([a], now))[0]!.snapshot.requests!.remaining).toBe(5);
    await store.shareRates([{ deployment: a, at: now + 20, snapshot: snap(4, now + 30_000), blockedUntil: 0 }], now);
    expect((await store.readRates([a], now))[0]!.snapshot.requests!.remaining).toBe(4);
    await store.close();
  });

  it('forgets a view after its last reset', async () => {
    const store = make();
    const a = id();
    const now = Date.now();
    await store.shareRates([{ deployment: a, at: now, snapshot: snap(1, now + 40), blockedUntil: now + 20 }], now);
    expect(await store.readRates([a], now + 41)).toEqual([]);
    expect(await store.readRates([], now)).toEqual([]);
    await store.close();
  });
}

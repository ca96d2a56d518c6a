import { describe, expect, it } from 'vitest';
import { InFlight } from './in-flight.js';

const deferred = () => {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((ok, fail) => ((resolve = ok), (reject = fail)));
  return { promise, resolve, reject };
};

describe('InFlight', () => {
  it('is idle at once when nothing is tracked', async () => {
    expect(await new InFlight().idle(1000)).toBe(true);
  });

  it('waits for every tracked request, rejected ones included', async () => {
    const f = new InFlight();
    const a = deferred();
    const b = deferred();
    f.track(a.promise);
    f.track(b.promise);
    let idle: boolean | undefined;
    const waiting = f.idle(5000).then((v) => (idle = v));
    a.resolve();
    await new Promise((r) => setTimeout(r, 5));
    expect(idle).toBeUndefined();
    expect(f.size).toBe(1);
    b.reject(new Error('failed'));
    await waiting;
    expect(idle).toBe(true);
    expect(f.size).toBe(0);
  });

  it('gives up after the time allowed', async () => {
    const f = new InFlight();
    f.track(new Promise(() => undefined));
    expect(await f.idle(10)).toBe(false);
    expect(f.size).toBe(1);
  });
});

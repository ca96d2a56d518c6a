import { describe, expect, it } from 'vitest';
import { AuthThrottle } from './auth-throttle.js';

function throttle(limit = 3, windowMs = 1000, blockMs = 5000) {
  let t = 1_000_000;
  const blocked: string[] = [];
  const th = new AuthThrottle({ limit, windowMs, blockMs }, { now: () => t, maxTracked: 4, onBlock: (a) => blocked.push(a) });
  return { th, blocked, at: (ms: number) => (t = 1_000_000 + ms) };
}

describe('AuthThrottle', () => {
  it('refuses an address for the block after the limit of failures within the window, then lets it try again', () => {
    const { th, blocked, at } = throttle();
    th.failed('1.2.3.4');
    th.failed('1.2.3.4');
    expect(th.wait('1.2.3.4')).toBe(0);
    at(900);
    th.failed('1.2.3.4');
    expect(th.wait('1.2.3.4')).toBe(5000);
    expect(blocked).toEqual(['1.2.3.4']);
    // Another address is not touched.
    expect(th.wait('5.6.7.8')).toBe(0);
    at(3900);
    expect(th.wait('1.2.3.4')).toBe(2000);
    // Failures while blocked neither lengthen the block nor count for the next window.
    th.failed('1.2.3.4');
    at(5900);
    expect(th.wait('1.2.3.4')).toBe(0);
    th.failed('1.2.3.4');
    expect(th.wait('1.2.3.4')).toBe(0);
    expect(blocked).toHaveLength(1);
  });

  it('counts failures within one window only', () => {
    const { th, at } = throttle();
    th.failed('a');
    th.failed('a');
    at(1000);
    th.failed('a');
    th.failed('a');
    expect(th.wait('a')).toBe(0);
    th.failed('a');
    expect(th.wait('a')).toBe(5000);
  });

  it('keeps a bounded number of addresses, dropping those that no longer count first', () => {
    const { th, at } = throttle(2);
    th.failed('blocked');
    th.failed('blocked');
    for (const a of ['b', 'c', 'd']) th.failed(a);
    at(2000);
    for (const a of ['e', 'f', 'g', 'h', 'i']) th.failed(a);
    expect(th.size).toBeLessThanOrEqual(4);
    // The blocked one outlived the addresses whose windows had passed.
    expect(th.wait('blocked')).toBe(3000);
  });
});

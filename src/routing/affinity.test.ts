import { describe, expect, it } from 'vitest';
import { AffinityMap } from './affinity.js';

describe('AffinityMap', () => {
  it('drops lapsed entries as new ones are set, not only when they are read again', () => {
    const m = new AffinityMap(1000);
    for (let i = 0; i < 200; i++) m.set(`s:${i}`, 'eu', 0, 1000);
    // Sessions that never come back: after the ttl, a few new ones sweep them all.
    for (let i = 0; i < 20; i++) m.set(`s:new-${i}`, 'us', 2000, 1000);
    expect(m.size).toBe(20);
    expect(m.get('s:new-0', 2500, 1000)).toBe('us');
  });

  it('keeps an entry set again since, in order of its last use', () => {
    const m = new AffinityMap();
    m.set('s:a', 'eu', 0, 1000);
    m.set('s:b', 'eu', 0, 1000);
    m.set('s:a', 'us', 900, 1000);
    m.set('s:c', 'eu', 1500, 1000);
    expect(m.size).toBe(2);
    expect(m.get('s:a', 1500, 1000)).toBe('us');
    expect(m.get('s:b', 1500, 1000)).toBeUndefined();
  });

  it('sweeps by the longest ttl a route asked for, which reads still apply per route', () => {
    const m = new AffinityMap();
    m.set('s:short', 'eu', 0, 1000);
    m.set('s:long', 'eu', 0, 5000);
    m.set('s:x', 'eu', 2000, 1000);
    expect(m.size).toBe(3);
    expect(m.get('s:long', 2000, 5000)).toBe('eu');
    expect(m.get('s:short', 2000, 1000)).toBeUndefined();
  });

  it('holds at most its bound, the stalest going first', () => {
    const m = new AffinityMap(10);
    for (let i = 0; i < 25; i++) m.set(`p:${i}`, 'eu', i, 60_000);
    expect(m.size).toBe(10);
    expect(m.get('p:14', 30, 60_000)).toBeUndefined();
    expect(m.get('p:15', 30, 60_000)).toBe('eu');
  });
});

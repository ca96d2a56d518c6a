import { describe, expect, it } from 'vitest';
import type { ReleaseCacheUse } from '../storage/ports.js';
import { releaseContrast, releaseText, withRelease } from './release-contrast.js';
import type { Detection } from './types.js';

const use = (version: string, requests: number, share: number, client = 'claude-code'): ReleaseCacheUse => ({ client, version, requests, inputTokens: requests * 10_000, cacheReadTokens: Math.round(requests * 10_000 * share), errors: 0, outputTokens: 0, costPicos: 0n });

describe('releaseContrast', () => {
  it('names the version that read at most half what another version of the same client read in the window', () => {
    const c = releaseContrast([use('2.1.197', 12, 0.8), use('2.1.198', 40, 0.03)], []);
    expect(c).toEqual({ fell: { client: 'claude-code', version: '2.1.198', requests: 40, share: 0.03, when: 'window' }, kept: { client: 'claude-code', version: '2.1.197', requests: 12, share: 0.8, when: 'window' } });
    expect(releaseText(c!)).toBe('The fall is on claude-code 2.1.198: its 40 requests read 3% of their input from cache, against 80% on 2.1.197 (12 requests in the same window).');
  });

  it('compares with the hour before when the window holds the new version alone', () => {
    const c = releaseContrast([use('2.1.198', 30, 0.1)], [use('2.1.197', 200, 0.82), use('2.1.196', 15, 0.7)]);
    expect(c?.kept).toMatchObject({ version: '2.1.197', when: 'before' });
    expect(releaseText(c!)).toContain('(200 requests in the hour before)');
  });

  it('names nothing when every version fell alike, when a version has too few requests, or across clients', () => {
    expect(releaseContrast([use('2.1.197', 50, 0.05), use('2.1.198', 50, 0.04)], [use('2.1.197', 90, 0.06)])).toBeUndefined();
    expect(releaseContrast([use('2.1.198', 9, 0), use('2.1.197', 50, 0.8)], [])).toBeUndefined();
    expect(releaseContrast([use('2.1.198', 40, 0)], [use('0.169.0', 40, 0.8, 'codex')])).toBeUndefined();
    expect(releaseContrast([use('', 40, 0), use('2.1.197', 40, 0.8)], [])).toBeUndefined();
  });

  it('names nothing when the other version fell too against the hour before, in the window or on its few requests there', () => {
    const before = [use('2.1.197', 100, 0.8)];
    expect(releaseContrast([use('2.1.198', 40, 0), use('2.1.197', 12, 0.4)], before)).toBeUndefined();
    expect(releaseContrast([use('2.1.198', 40, 0), use('2.1.197', 12, 0.65)], before)?.kept).toMatchObject({ version: '2.1.197', when: 'window' });
    expect(releaseContrast([use('2.1.198', 40, 0), use('2.1.197', 5, 0)], before)).toBeUndefined();
    expect(releaseContrast([use('2.1.198', 40, 0), use('2.1.197', 5, 0.7)], before)?.kept).toMatchObject({ version: '2.1.197', when: 'before' });
  });

  it('takes the fallen version with the most requests, at exactly half the kept share', () => {
    const c = releaseContrast([use('2.1.198', 20, 0.4), use('2.1.199', 60, 0.4), use('2.1.197', 30, 0.8)], []);
    expect(c?.fell.version).toBe('2.1.199');
    expect(releaseContrast([use('2.1.198', 20, 0.41), use('2.1.197', 30, 0.8)], [])).toBeUndefined();
  });
});

describe('withRelease', () => {
  const regression: Detection = { detector: 'cache_regression', subject: 'workflow:review', windowStart: 3_600_000 * 10, windowEnd: 3_600_000 * 10 + 300_000, severity: 'critical', excessPicos: 5n, message: 'Fell.', evidence: { report: '/r', requestIds: [], sessionIds: [] }, key: 'k' };

  it('reads the window and the hour before for the workflow, and adds the release to the message and the evidence', async () => {
    const asked: [string, number, number][] = [];
    const d = await withRelease(regression, (w, since, until) => {
      asked.push([w, since, until]);
      return Promise.resolve(since === regression.windowStart ? [use('2.1.198', 40, 0)] : [use('2.1.197', 100, 0.9)]);
    });
    expect(asked).toEqual([
      ['review', regression.windowStart, regression.windowEnd],
      ['review', regression.windowStart - 3_600_000, regression.windowStart],
    ]);
    expect(d.message).toBe('Fell. The fall is on claude-code 2.1.198: its 40 requests read 0% of their input from cache, against 90% on 2.1.197 (100 requests in the hour before).');
    expect(d.evidence.clientVersions?.map((v) => v.version)).toEqual(['2.1.198', '2.1.197']);
  });

  it('leaves other detections and unremarkable releases as they were, without reading', async () => {
    let reads = 0;
    const read = () => {
      reads++;
      return Promise.resolve([use('2.1.197', 40, 0.1)]);
    };
    const spike: Detection = { ...regression, detector: 'spend_spike', subject: 'user:alice' };
    expect(await withRelease(spike, read)).toBe(spike);
    expect(reads).toBe(0);
    expect(await withRelease(regression, read)).toBe(regression);
  });
});

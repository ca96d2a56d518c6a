import { describe, expect, it } from 'vitest';
import { Router } from '../../routing/router.js';
import { DEFAULT_AFFINITY, DEFAULT_HEALTH, DEFAULT_QUEUE, DEFAULT_RETRY, type Deployment, type Route } from '../../routing/types.js';
import { renderRoutingStatus } from './routing-status.js';

const deployment = (id: string): Deployment => ({ id, provider: 'anthropic', dialect: 'anthropic', baseUrl: 'http://x', apiKey: undefined, headers: {}, catalog: undefined, model: undefined, weight: 1, order: 0, rpm: undefined, tpm: undefined, timeouts: { firstByteMs: 1000, requestMs: undefined } });

describe('routing status table', () => {
  it('gives the date of a rest or reset that ends on another day than the view, and the time alone on the same day', () => {
    const now = Date.parse('2026-12-08T22:00:00Z');
    const r: Route = { model: 'claude-sonnet-4-5', deployments: [deployment('sub-a'), deployment('sub-b')], fallbacks: [], retry: DEFAULT_RETRY, queue: DEFAULT_QUEUE, affinity: DEFAULT_AFFINITY };
    const router = new Router([r], DEFAULT_HEALTH, { now: () => now, random: () => 0 });
    const finish = (id: string, headers: Record<string, string>) => {
      const p = router.plan(r, 'claude-sonnet-4-5', undefined);
      const c = p.candidates.find((x) => x.d.id === id)!;
      router.started(p, c, 10);
      router.finished(p, c, 10, { kind: 'failed', status: 429, headers });
    };
    // A Claude subscription's five-hour limit, reset at 02:00 the next day; a minute's rest the same day.
    finish('sub-a', { 'anthropic-ratelimit-unified-reset': String(Date.parse('2026-12-09T02:00:00Z') / 1000), 'anthropic-ratelimit-requests-limit': '50', 'anthropic-ratelimit-requests-remaining': '0', 'anthropic-ratelimit-requests-reset': '2026-12-09T02:00:00Z' });
    finish('sub-b', { 'retry-after': '60' });
    const text = renderRoutingStatus({ at: new Date(now).toISOString(), routes: router.status() });
    const line = (id: string) => text.split('\n').find((l) => l.includes(id))!;
    expect(line('sub-a')).toContain('429 to 2026-12-09 02:00:00');
    expect(line('sub-a')).toMatch(/0\/50 +- +2026-12-09 02:00:00/);
    expect(line('sub-b')).toContain('429 to 22:01:00');
  });
});

import { describe, expect, it } from 'vitest';
import { type VersionSpend, releaseMoveText, releaseMoves, releaseMovesJson } from './releases.js';

const USD = 1_000_000_000_000n;
const v = (version: string, requests: number, cents: number, read = 0.5, client = 'claude-code'): VersionSpend => ({ client, version, requests, inputTokens: requests * 10_000, cacheReadTokens: Math.round(requests * 10_000 * read), costPicos: (BigInt(requests * cents) * USD) / 100n });

describe('releaseMoves', () => {
  it('finds a client whose requests moved to a release it had not run, with cost and cache reads on each', () => {
    const moves = releaseMoves([v('2.1.197', 40, 5, 0.86)], [v('2.1.198', 46, 21, 0.12), v('2.1.197', 4, 5, 0.86)]);
    expect(moves).toHaveLength(1);
    expect(moves[0]).toMatchObject({ client: 'claude-code', from: { version: '2.1.197' }, to: { version: '2.1.198' }, toShare: 0.92 });
    expect(releaseMoveText(moves[0]!, 'this week')).toBe('claude-code moved from 2.1.197 to 2.1.198 (92% of its requests in this week): a request cost $0.210 against $0.050, and read 12% of its input from cache against 86%.');
    expect(releaseMovesJson(moves)).toEqual([
      {
        client: 'claude-code',
        from: { version: '2.1.197', requests: 40, cost_usd: '2', cost_per_request_usd: '0.05', cache_read_share: 0.86 },
        to: { version: '2.1.198', requests: 46, cost_usd: '9.66', cost_per_request_usd: '0.21', cache_read_share: 0.12 },
        to_share_of_requests: 0.92,
      },
    ]);
  });

  it('finds no move when the main version stays, when the new one carried over a tenth before, under half after, or too few requests', () => {
    expect(releaseMoves([v('2.1.197', 40, 5)], [v('2.1.197', 30, 5), v('2.1.198', 20, 5)])).toEqual([]);
    expect(releaseMoves([v('2.1.197', 40, 5), v('2.1.198', 5, 5)], [v('2.1.198', 40, 5)])).toEqual([]);
    expect(releaseMoves([v('2.1.197', 40, 5), v('2.1.198', 4, 5)], [v('2.1.198', 40, 5)])).toHaveLength(1);
    expect(releaseMoves([v('2.1.197', 40, 5)], [v('2.1.198', 20, 5), v('2.1.196', 15, 5), v('', 10, 5)])).toEqual([]);
    expect(releaseMoves([v('2.1.197', 9, 5)], [v('2.1.198', 40, 5)])).toEqual([]);
    expect(releaseMoves([v('2.1.197', 40, 5)], [v('0.169.0', 40, 5, 0.5, 'codex')])).toEqual([]);
  });

  it('lists the costliest new release first, and leaves the cache out of the text where a side read no input', () => {
    const moves = releaseMoves([v('2.1.197', 40, 5), v('0.168.0', 40, 5, 0.5, 'codex')], [v('2.1.198', 40, 5), v('0.169.0', 40, 9, 0.5, 'codex')]);
    expect(moves.map((m) => m.client)).toEqual(['codex', 'claude-code']);
    const blind = releaseMoves([{ ...v('2.1.197', 40, 5), inputTokens: 0, cacheReadTokens: 0 }], [v('2.1.198', 40, 5)]);
    expect(releaseMoveText(blind[0]!, 'b')).toBe('claude-code moved from 2.1.197 to 2.1.198 (100% of its requests in b): a request cost $0.050 against $0.050.');
    expect(releaseMovesJson(blind)[0]!.from.cache_read_share).toBeNull();
  });
});

import { describe, expect, it } from 'vitest';
import { progressBar } from './progress.js';

function stream(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, s: { isTTY, columns: 80, write: (t: string) => writes.push(t) } as unknown as NodeJS.WriteStream };
}

describe('progressBar', () => {
  it('draws on a terminal and clears its line at the end', () => {
    const { writes, s } = stream(true);
    const bar = progressBar('import', s);
    bar.update(50 * 1048576, 100 * 1048576);
    bar.update(100 * 1048576, 100 * 1048576);
    bar.end();
    expect(writes[0]).toMatch(/^\rimport \[#+-+\] {2}50% 50\.0\/100\.0 MB$/);
    expect(writes[1]).toMatch(/100% 100\.0\/100\.0 MB$/);
    expect(writes.at(-1)).toBe('\r\x1b[K');
  });

  it('says how far in the work\'s own terms when told how', () => {
    const { writes, s } = stream(true);
    const bar = progressBar('cache-report', s, (done, total) => `${done} of ${total} hours`);
    bar.update(6, 24);
    expect(writes[0]).toMatch(/^\rcache-report \[#+-+\] {2}25% 6 of 24 hours$/);
  });

  it('writes nothing when not a terminal', () => {
    const { writes, s } = stream(false);
    const bar = progressBar('import', s);
    bar.update(1, 2);
    bar.end();
    expect(writes).toEqual([]);
  });
});

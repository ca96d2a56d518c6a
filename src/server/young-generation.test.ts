import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

// In a child process: the cap changes a V8 flag for the whole process.
function newSpaceAfterChurn(cap: boolean): number {
  const script = `
    import { getHeapSpaceStatistics } from 'node:v8';
    import { capYoungGeneration } from ${JSON.stringify(new URL('./young-generation.ts', import.meta.url).href)};
    if (${cap}) capYoungGeneration(2);
    const keep = [];
    for (let round = 0; round < 40; round++) {
      for (let i = 0; i < 100000; i++) { const o = { i, s: 'x' + i }; if (i % 10 === 0) keep.push(o); }
      if (keep.length > 200000) keep.length = 0;
      await new Promise((r) => setImmediate(r)); // lets the GC observer run between bursts
    }
    console.log(getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size);
  `;
  return Number(execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' }).trim());
}

describe('capYoungGeneration', () => {
  it('keeps each semi-space at the cap, where V8 alone grows it further', () => {
    const MB = 1024 * 1024;
    expect(newSpaceAfterChurn(false)).toBeGreaterThan(8 * MB);
    expect(newSpaceAfterChurn(true)).toBeLessThanOrEqual(2 * 2 * MB + MB);
  }, 30_000);
});

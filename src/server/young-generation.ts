import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';

/** V8's own default growth factor of the young generation. */
const DEFAULT_GROWTH = 2;

/**
 * Stops V8 growing the young generation past `maxSemiSpaceMb` per semi-space.
 *
 * Under load V8 grows it to 16 MB per semi-space (32 MB resident) and keeps it while busy.
 * `--max-semi-space-size` would bound it, but only on the command line: Node 20 has no
 * config file, and `env -S` in a shebang breaks on busybox. V8 does read the growth
 * factor each time it grows new space, so after each collection the factor is set to 1
 * once the cap is reached (and back to 2 below it). Measured: 8 MB keeps throughput within
 * noise of 16 MB; 4 MB costs throughput. Does nothing when the flag was given at start-up.
 */
export function capYoungGeneration(maxSemiSpaceMb: number, execArgv: readonly string[] = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? ''): () => void {
  if ([...execArgv, nodeOptions].some((a) => a.includes('semi-space'))) return () => undefined;
  const cap = maxSemiSpaceMb * 1024 * 1024;
  let growth = DEFAULT_GROWTH;
  const adjust = () => {
    const space = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
    if (!space) return;
    const want = space.space_size / 2 >= cap ? 1 : DEFAULT_GROWTH;
    if (want === growth) return;
    growth = want;
    setFlagsFromString(`--semi-space-growth-factor=${want}`);
  };
  adjust();
  const observer = new PerformanceObserver(adjust);
  observer.observe({ entryTypes: ['gc'] });
  return () => {
    observer.disconnect();
    if (growth !== DEFAULT_GROWTH) setFlagsFromString(`--semi-space-growth-factor=${DEFAULT_GROWTH}`);
  };
}

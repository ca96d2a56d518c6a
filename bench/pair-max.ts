import { maxThroughput } from './load.js';
import { cpuMicros, startTollgate, startUpstream, tollgateTarget } from './processes.js';
import { median } from './stats.js';

// `npx tsx bench/pair-max.ts ROOT_A ROOT_B [stream]`: two checkouts' built gateways at maximum load at
// the same time, each with its own 32 connections, for 3 s a round; B's requests a second and CPU a
// request against A's in the same seconds. `bench/pair.ts` compares CPU at a fixed rate; this one sees
// what CPU alone does not, such as a response held back until the event loop's turn ends. Each of the
// GENS (default 3) generations starts both gateways afresh (a process keeps the speed it started with)
// and measures 3 rounds. The same build against itself gave 0.996x (B higher in 3 of 9).
const [rootA, rootB] = process.argv.slice(2, 4);
if (!rootA || !rootB) throw new Error('usage: tsx bench/pair-max.ts ROOT_A ROOT_B [stream]');
const stream = process.argv.includes('stream');
const GENS = Number(process.env.GENS ?? 3);
const CONNECTIONS = 32;
const PHASE_MS = 3000;

const up = await startUpstream();
const rps: number[] = [];
const cpu: number[] = [];
try {
  for (let g = 0; g < GENS; g++) {
    // Started in turn A first, then B first: the first started may land better.
    const startA = () => startTollgate(up.url, '', 'A', rootA);
    const startB = () => startTollgate(up.url, '', 'B', rootB);
    let a: Awaited<ReturnType<typeof startA>>;
    let b: typeof a;
    if (g % 2 === 0) [a, b] = [await startA(), await startB()];
    else [b, a] = [await startB(), await startA()];
    const ta = tollgateTarget(a);
    const tb = tollgateTarget(b);
    try {
      await Promise.all([maxThroughput(ta, stream, CONNECTIONS, 1500), maxThroughput(tb, stream, CONNECTIONS, 1500)]);
      for (let r = 0; r < 3; r++) {
        const [ca, cb] = [cpuMicros(a.proc.pid), cpuMicros(b.proc.pid)];
        const [ra, rb] = await Promise.all([maxThroughput(ta, stream, CONNECTIONS, PHASE_MS), maxThroughput(tb, stream, CONNECTIONS, PHASE_MS)]);
        const perA = (cpuMicros(a.proc.pid) - ca) / ((ra * PHASE_MS) / 1000);
        const perB = (cpuMicros(b.proc.pid) - cb) / ((rb * PHASE_MS) / 1000);
        rps.push(rb / ra);
        cpu.push(perB / perA);
        process.stdout.write(`generation ${g} round ${r}: A ${ra.toFixed(0)} req/s ${perA.toFixed(0)} µs, B ${rb.toFixed(0)} req/s ${perB.toFixed(0)} µs, B/A ${(rb / ra).toFixed(3)}\n`);
      }
    } finally {
      await Promise.all([a.proc.stop(), b.proc.stop()]);
    }
  }
  process.stdout.write(`median B/A: ${median(rps).toFixed(3)} the requests a second (B higher in ${rps.filter((x) => x > 1).length} of ${rps.length}), ${median(cpu).toFixed(3)} the CPU a request\n`);
} finally {
  await up.stop();
}

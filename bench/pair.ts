import { fixedRate } from './load.js';
import { cpuMicros, rssMb, startTollgate, startUpstream, tollgateTarget } from './processes.js';
import { median } from './stats.js';

// `npx tsx bench/pair.ts ROOT_A ROOT_B [stream]`: two checkouts' built gateways (run `npm run build`
// in each) serving at once, each sent RATE requests a second (default 3,500) for 5 s a round, and
// the CPU each process spent a request. This VM does not report stolen time, so a process's CPU
// time swells whenever the host is busy, by as much as half from one minute to the next: measured
// one after the other, a 3% difference is lost in that. Measured at once, both swell together
// and the ratio holds (the same build twice: B/A 1.000, B lower in 3 of 7 rounds).
const [rootA, rootB] = process.argv.slice(2, 4);
if (!rootA || !rootB) throw new Error('usage: tsx bench/pair.ts ROOT_A ROOT_B [stream]');
const stream = process.argv.includes('stream');
const ROUNDS = Number(process.env.ROUNDS ?? 7);
const RATE = Number(process.env.RATE ?? 3500);
const PHASE_MS = 5000;

const up = await startUpstream();
const a = await startTollgate(up.url, '', 'A', rootA);
const b = await startTollgate(up.url, '', 'B', rootB);
try {
  const ta = tollgateTarget(a);
  const tb = tollgateTarget(b);
  await Promise.all([fixedRate(ta, stream, RATE, 2000), fixedRate(tb, stream, RATE, 2000)]);
  const perA: number[] = [];
  const perB: number[] = [];
  for (let k = 0; k < ROUNDS; k++) {
    const [a0, b0] = [cpuMicros(a.proc.pid), cpuMicros(b.proc.pid)];
    const [la, lb] = await Promise.all([fixedRate(ta, stream, RATE, PHASE_MS), fixedRate(tb, stream, RATE, PHASE_MS)]);
    perA.push((cpuMicros(a.proc.pid) - a0) / la.length);
    perB.push((cpuMicros(b.proc.pid) - b0) / lb.length);
    process.stdout.write(`round ${k}: A ${perA[k]!.toFixed(1)} B ${perB[k]!.toFixed(1)} µs CPU a request, B/A ${(perB[k]! / perA[k]!).toFixed(3)}\n`);
  }
  const ratios = perA.map((x, i) => perB[i]! / x);
  process.stdout.write(
    `median A ${median(perA).toFixed(1)} B ${median(perB).toFixed(1)} µs, B/A ${median(ratios).toFixed(3)} (B lower in ${ratios.filter((r) => r < 1).length} of ${ROUNDS}); RSS A ${rssMb(a.proc.pid).toFixed(0)} B ${rssMb(b.proc.pid).toFixed(0)} MB\n`,
  );
} finally {
  await Promise.all([a.proc.stop(), b.proc.stop()]);
  await up.stop();
}

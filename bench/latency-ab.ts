import { fixedRate } from './load.js';
import { type Proc, startBare, startTollgate, startUpstream, tollgateTarget } from './processes.js';
import { median } from './stats.js';

// `npx tsx bench/latency-ab.ts ROOT_A ROOT_B …`: the added p50 latency (against direct) of bare and of each
// checkout's built gateway (run `npm run build` in each), at RATE requests a second (default 500),
// non-streaming, as `npm run bench` measures it: per round, fresh servers, 6 slices of 0.5 s a path taken
// in turn (the order reversed every other round); ROUNDS rounds (default 5). What `pair.ts` is for CPU,
// this is for latency: a change of a few tens of microseconds, measured one build after the other, is lost
// in the minutes between, while paths measured in alternation share them.
const roots = process.argv.slice(2);
if (roots.length === 0) throw new Error('usage: tsx bench/latency-ab.ts ROOT_A [ROOT_B …]');
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const RATE = Number(process.env.RATE ?? 500);
const SLICE_MS = 500;

const added: Record<string, number[]> = {};
for (let k = 0; k < ROUNDS; k++) {
  const up = await startUpstream();
  const bare = await startBare(up.url);
  const gateways: { proc: Proc; key: string }[] = [];
  for (const [i, root] of roots.entries()) gateways.push(await startTollgate(up.url, '', `${String.fromCharCode(65 + i)} ${root}`, root));
  try {
    const paths = [{ name: 'direct', url: up.url, headers: {} }, { name: 'bare', url: bare.url, headers: {} }, ...gateways.map((g) => tollgateTarget(g))];
    const order = k % 2 === 0 ? paths : [...paths].reverse();
    for (const p of order) await fixedRate(p, false, RATE, SLICE_MS);
    const lat: Record<string, number[]> = {};
    for (let s = 0; s < 6; s++) for (const p of order) (lat[p.name] ??= []).push(...(await fixedRate(p, false, RATE, SLICE_MS)));
    const direct = median(lat.direct!);
    for (const p of paths) (added[p.name] ??= []).push(median(lat[p.name]!) - direct);
    process.stdout.write(`round ${k + 1}: ${paths.map((p) => `${p.name} +${(median(lat[p.name]!) - direct).toFixed(3)}`).join('  ')} ms\n`);
  } finally {
    for (const g of gateways) await g.proc.stop();
    await bare.stop();
    await up.stop();
  }
}
const bareAdded = added.bare!;
for (const [name, v] of Object.entries(added)) {
  if (name === 'direct') continue;
  const vsBare = v.map((x, i) => x - bareAdded[i]!);
  process.stdout.write(`${name}: added p50 ${median(v).toFixed(3)} ms, against bare ${median(vsBare) >= 0 ? '+' : ''}${median(vsBare).toFixed(3)} ms (median of the rounds' differences)\n`);
}

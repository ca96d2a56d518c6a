import { readFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import { join } from 'node:path';
import { sampleRow } from '../src/storage/testing/rows.js';
import { openSqlite } from '../src/storage/sqlite/sqlite-storage.js';
import { type Target, maxThroughput, openStreams } from './load.js';
import { type Proc, rssMb, startTollgate, startUpstream } from './processes.js';
import { median } from './stats.js';

// `npx tsx bench/anomaly-rss.ts --before DIR [--rounds N] [--hold S]`: the gateway's resident memory
// with 1,000 open streams and the anomaly scheduler on (an alert webhook configured, an
// evaluation every 5 s), for this checkout's build and for another's (DIR: a checkout or a copy
// of its bin/, dist/ and package.json, e.g. the commit before a change), and with the scheduler
// off, side by side in rounds. Each gateway gets a ledger of 100,000 rows over the last 8 days
// (50 users), a short warm-up of traffic, then the streams are held open for --hold seconds
// (several evaluations) while its RSS is sampled. The gateway's child processes (an evaluation
// process each, when evaluations run in one) are sampled every 20 ms for their peak RSS
// (VmHWM) and CPU time. Build first (`npm run build`).
const arg = (name: string, fallback: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1]! : fallback);
const ROOT = join(import.meta.dirname, '..');
const BEFORE = arg('--before', '');
const ROUNDS = Number(arg('--rounds', '2'));
const HOLD_S = Number(arg('--hold', '30'));
const STREAMS = 1000;
const ROWS = 100_000;

interface Variant {
  name: string;
  root: string;
  anomalies: string;
}

interface Sample {
  rssEnd: number;
  rssMax: number;
  children: { peakMb: number; cpuMs: number }[];
}

const status = (pid: number, field: string) => {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
};
const ownCpuMs = (pid: number) => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
};

/** Samples the children of `pid` until stopped: the last peak RSS and CPU seen of each. */
function watchChildren(pid: number): () => { peakMb: number; cpuMs: number }[] {
  const seen = new Map<number, { peakMb: number; cpuMs: number }>();
  const timer = setInterval(() => {
    let list = '';
    try {
      list = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8');
    } catch {
      return;
    }
    for (const c of list.trim().split(/\s+/).filter(Boolean).map(Number)) {
      try {
        const peakMb = status(c, 'VmHWM');
        const cpuMs = ownCpuMs(c);
        if (Number.isFinite(peakMb)) seen.set(c, { peakMb, cpuMs });
      } catch {
        // Exited between the listing and the read.
      }
    }
  }, 20);
  return () => {
    clearInterval(timer);
    return [...seen.values()];
  };
}

async function seed(path: string): Promise<void> {
  const s = openSqlite(path);
  const now = Date.now();
  const step = Math.floor((8 * 86_400_000) / ROWS);
  for (let i = 0; i < ROWS; i += 1000) {
    const batch = Array.from({ length: 1000 }, (_, j) => {
      const k = i + j;
      const u = k % 50;
      return sampleRow({ id: `seed-${k}`, ts: now - 8 * 86_400_000 + k * step, user: `u${u}`, team: `t${u % 5}`, keyId: `key_${u}`, sessionId: `s${u}-${Math.floor(k / 2000)}`, tags: { workflow: `w${k % 7}` }, upstreamRequestId: null, costPicos: BigInt(1 + (k % 40)) * 10_000_000_000n });
    });
    await s.ledger.insert(batch);
  }
  await s.close();
}

async function measure(v: Variant, upstream: string, hook: string): Promise<Sample> {
  const tg = await startTollgate(upstream, `alerts: { webhooks: [{ url: "${hook}" }] }\nanomalies: ${v.anomalies}\n`, v.name, v.root);
  const stop: Proc = tg.proc;
  try {
    await seed(join(tg.dir, 'tollgate.db'));
    const t: Target = { name: v.name, url: tg.proc.url, headers: { authorization: `Bearer ${tg.key}` } };
    await maxThroughput(t, false, 32, 2000);
    await maxThroughput(t, true, 32, 2000);
    await new Promise((r) => setTimeout(r, 6000)); // an evaluation or so before the streams
    const children = watchChildren(tg.proc.pid);
    const opened = await openStreams(t, STREAMS, async () => {
      let max = 0;
      const end = Date.now() + HOLD_S * 1000;
      while (Date.now() < end) {
        max = Math.max(max, rssMb(tg.proc.pid));
        await new Promise((r) => setTimeout(r, 250));
      }
      return { rssEnd: rssMb(tg.proc.pid), rssMax: max };
    });
    if (opened.open < STREAMS) throw new Error(`only ${opened.open} of ${STREAMS} streams opened`);
    return { ...opened.value, children: children() };
  } finally {
    await stop.stop();
  }
}

async function main(): Promise<void> {
  if (!BEFORE) throw new Error('--before DIR: the other build to compare with');
  const upstream = await startUpstream();
  let hooks = 0;
  const receiver: Server = createServer((req, res) => {
    hooks++;
    req.resume();
    req.on('end', () => res.end('ok'));
  });
  await new Promise<void>((ok) => receiver.listen(0, '127.0.0.1', ok));
  const hook = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook`;
  const variants: Variant[] = [
    { name: 'off', root: ROOT, anomalies: '{ enabled: false }' },
    { name: 'before', root: BEFORE, anomalies: '{ interval_seconds: 5 }' },
    { name: 'after', root: ROOT, anomalies: '{ interval_seconds: 5 }' },
  ];
  const results = new Map<string, Sample[]>(variants.map((v) => [v.name, []]));
  try {
    for (let r = 0; r < ROUNDS; r++) {
      for (const v of variants) {
        const s = await measure(v, upstream.url, hook);
        results.get(v.name)!.push(s);
        const kids = s.children.length ? `; ${s.children.length} child processes, peak RSS ${s.children.map((c) => c.peakMb.toFixed(0)).join('/')} MB, CPU ${s.children.map((c) => c.cpuMs).join('/')} ms` : '';
        process.stdout.write(`round ${r + 1} ${v.name.padEnd(6)} RSS with ${STREAMS} streams: ${s.rssEnd.toFixed(1)} MB at the end, ${s.rssMax.toFixed(1)} MB max${kids}\n`);
      }
    }
  } finally {
    receiver.close();
    await upstream.stop();
  }
  for (const v of variants) {
    const xs = results.get(v.name)!;
    const kids = xs.flatMap((x) => x.children);
    const k = kids.length ? `; evaluation processes: peak RSS median ${median(kids.map((c) => c.peakMb)).toFixed(0)} MB (max ${Math.max(...kids.map((c) => c.peakMb)).toFixed(0)}), CPU median ${median(kids.map((c) => c.cpuMs))} ms (${kids.length})` : '';
    process.stdout.write(`${v.name}: RSS median ${median(xs.map((x) => x.rssEnd)).toFixed(1)} MB at the end, max ${Math.max(...xs.map((x) => x.rssMax)).toFixed(1)} MB${k}\n`);
  }
  process.stdout.write(`webhook calls: ${hooks}\n`);
}

await main();

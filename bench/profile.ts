import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { maxThroughput } from './load.js';
import { startTollgate, startUpstream } from './processes.js';

// `tsx bench/profile.ts [stream]`: CPU profile of Tollgate under maximum load, top self-time.
const stream = process.argv.includes('stream');
const up = await startUpstream();
const tg = await startTollgate(up.url);
// Restarted with the profiler, on the same ledger (which holds the key); removed at the end.
tg.keepFiles();
await tg.proc.stop();
process.on('exit', () => rmSync(tg.dir, { recursive: true, force: true }));
const profDir = join(tg.dir, 'prof');
const child = spawn(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${profDir}`, join(import.meta.dirname, '..', 'bin', 'tollgate.js'), 'serve', '--port', '0', '--config', join(tg.dir, 'tollgate.yaml')], { stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise<string>((r) => child.stdout.on('data', (c: Buffer) => { const m = /listening on (\S+)/.exec(c.toString()); if (m) r(m[1]!); }));
const t = { name: 'tollgate', url, headers: { authorization: `Bearer ${tg.key}` } };
await maxThroughput(t, stream, 64, 1000);
const rps = await maxThroughput(t, stream, 64, 5000);
child.kill('SIGINT');
await new Promise((r) => child.once('exit', r));
await up.stop();
interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
const prof = JSON.parse(readFileSync(join(profDir, readdirSync(profDir)[0]!), 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[] };
const self = new Map<number, number>();
prof.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0)));
const byFn = new Map<string, number>();
let total = 0;
for (const n of prof.nodes) {
  const t = self.get(n.id) ?? 0;
  total += t;
  const key = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.replace(/^.*\/(node_modules|dist|node:)/, '$1')}:${n.callFrame.lineNumber}`;
  byFn.set(key, (byFn.get(key) ?? 0) + t);
}
// Inclusive time of Tollgate's own functions: self time of a node plus all its descendants.
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const inclusive = (n: Node): number => (self.get(n.id) ?? 0) + (n.children ?? []).reduce((s, c) => s + inclusive(byId.get(c)!), 0);
const incl = new Map<string, number>();
for (const n of prof.nodes) {
  if (!n.callFrame.url.includes('/dist/')) continue;
  const key = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.replace(/^.*\/dist\//, '')}:${n.callFrame.lineNumber}`;
  incl.set(key, (incl.get(key) ?? 0) + inclusive(n));
}
console.log('inclusive (Tollgate code):');
for (const [k, v] of [...incl].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(`${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`);
console.log(`${rps.toFixed(0)} req/s; top self time:`);
for (const [k, v] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, 40)) console.log(`${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`);

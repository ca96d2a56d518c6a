// The resident memory a built gateway takes at peak while N concurrent requests with a made-up
// provider key (passed through) each send a 30 MB body slowly, in 1 MB pieces every 200 ms, to a
// provider that refuses the key (docs/operations.md#request-bodies).
// usage: npx tsx bench/unverified-bodies.ts <checkout with dist/> <label> [chunked]
// N=20 by default; GW_PORT and UP_PORT (18790, 18791 by default) are the ports it listens on.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [root, label, mode] = process.argv.slice(2);
if (!root || !label) throw new Error('usage: npx tsx bench/unverified-bodies.ts <checkout with dist/> <label> [chunked]');
const chunked = mode === 'chunked';
const N = Number(process.env.N ?? 20);
const MB = 30;
const GW = Number(process.env.GW_PORT ?? 18790);
const UP = Number(process.env.UP_PORT ?? 18791);
const dir = mkdtempSync(join(tmpdir(), 'tollgate-bodies-'));
writeFileSync(join(dir, 'tollgate.yaml'), `server: { host: 127.0.0.1, port: ${GW} }\nstorage: { sqlite: ${dir}/t.db }\nproviders:\n  - { name: openai, dialect: openai, base_url: "http://127.0.0.1:${UP}" }\nlog: { level: warn }\n`);

// A provider that reads the body and refuses the key, as OpenAI does a made-up one.
const up = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    const body = JSON.stringify({ error: { message: 'Incorrect API key provided', type: 'invalid_request_error', param: null, code: 'invalid_api_key' } });
    res.writeHead(401, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
await new Promise<void>((r) => up.listen(UP, '127.0.0.1', r));

const gw = spawn(process.execPath, [join(root, 'bin/tollgate.js'), 'serve', '--config', join(dir, 'tollgate.yaml')], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
const status = () => readFileSync(`/proc/${gw.pid}/status`, 'utf8');
const mb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status())![1]) / 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
for (let i = 0; i < 100; i++) {
  await sleep(100);
  const up = await new Promise<boolean>((ok) => request(`http://127.0.0.1:${GW}/healthz`, (r) => ok(r.resume().statusCode === 200)).on('error', () => ok(false)).end());
  if (up) break;
}
await sleep(1500);
const base = mb('VmRSS');
let peak = base;
const sampler = setInterval(() => (peak = Math.max(peak, mb('VmRSS'))), 50);

const prefix = Buffer.from('{"model":"gpt-4o","messages":[{"role":"user","content":"');
const suffix = Buffer.from('"}]}');
const total = MB * 1024 * 1024;
const piece = Buffer.alloc(1024 * 1024, 'a');
const answers: Record<string, number> = {};
const count = (k: string | number) => (answers[k] = (answers[k] ?? 0) + 1);
const t0 = Date.now();
await Promise.all(
  Array.from({ length: N }, (_, i) =>
    new Promise<void>((done) => {
      const headers: Record<string, string | number> = { authorization: `Bearer sk-made-up-${i}`, 'content-type': 'application/json' };
      if (!chunked) headers['content-length'] = total;
      const req = request(`http://127.0.0.1:${GW}/v1/chat/completions`, { method: 'POST', headers }, (res) => {
        count(res.statusCode ?? 0);
        res.resume();
        res.on('end', () => done());
        res.on('error', () => done());
      });
      req.on('error', (e: NodeJS.ErrnoException) => {
        count(e.code ?? 'error');
        done();
      });
      let sent = 0;
      const step = () => {
        if (req.destroyed) return;
        if (sent === 0) {
          req.write(prefix);
          sent += prefix.length;
        }
        const left = total - sent - suffix.length;
        if (left <= 0) return void req.end(suffix);
        req.write(piece.subarray(0, Math.min(piece.length, left)));
        sent += Math.min(piece.length, left);
        setTimeout(step, 200);
      };
      step();
    }),
  ),
);
const seconds = (Date.now() - t0) / 1000;
await sleep(500);
clearInterval(sampler);
console.log(JSON.stringify({ label, chunked, requests: N, mbEach: MB, baseMb: Math.round(base), peakMb: Math.round(peak), raisedMb: Math.round(peak - base), hwmMb: Math.round(mb('VmHWM')), answers, seconds }));
gw.kill('SIGTERM');
await new Promise((r) => gw.on('exit', r));
up.close();
rmSync(dir, { recursive: true, force: true });

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Target } from './load.js';

const ROOT = join(import.meta.dirname, '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

export interface Proc {
  name: string;
  url: string;
  /** The process that serves: for a script run by tsx, tsx's child, not the launcher. */
  pid: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Spawns a server and waits for its "listening <port>" (or Tollgate's "listening on <url>") line. */
function start(name: string, cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Proc> {
  const child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-4000)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start: ${out} ${err}`)), 30_000);
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening (?:on )?(?:(http:\/\/\S+)|(\d+))/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      const url = m[1] ?? `http://127.0.0.1:${m[2]}`;
      resolve({
        name,
        url,
        pid: serverPid(child.pid!),
        child,
        stop: () =>
          new Promise((done) => {
            if (child.exitCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code}): ${err}`));
    });
  });
}

export const startUpstream = (env: NodeJS.ProcessEnv = {}) => start('upstream', TSX, [join(ROOT, 'bench', 'upstream.ts')], env);
export const startBare = (upstream: string) => start('bare', TSX, [join(ROOT, 'bench', 'bare-proxy.ts'), '0', upstream]);

/**
 * Tollgate as users run it: the built CLI, a config file pointing at the upstream, and a
 * virtual key (user bench, team perf). The provider is priced as OpenAI (`catalog: openai`): a
 * loopback upstream is otherwise a local server, and its rows would skip pricing. `extraConfig` is appended YAML (budgets, redis). `root`
 * is the checkout whose build runs (another one's, to compare two builds side by side).
 */
export async function startTollgate(upstream: string, extraConfig = '', name = 'tollgate', root = ROOT, env: NodeJS.ProcessEnv = {}): Promise<{ proc: Proc; key: string; dir: string; keepFiles(): void }> {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-bench-'));
  const config = join(dir, 'tollgate.yaml');
  writeFileSync(config, `log: { level: warn }\nstorage: { sqlite: "${join(dir, 'tollgate.db')}" }\nproviders:\n  - { name: openai, dialect: openai, base_url: "${upstream}", api_key: sk-bench, catalog: openai }\n${extraConfig}`);
  const bin = join(root, 'bin', 'tollgate.js');
  const created = execFileSync(process.execPath, [bin, 'keys', 'create', '--user', 'bench', '--team', 'perf', '--json', '--config', config], { cwd: dir, encoding: 'utf8' });
  const key = (JSON.parse(created) as { key: string }).key;
  const proc = await start(name, process.execPath, [bin, 'serve', '--port', '0', '--config', config], { TOLLGATE_BENCH: '1', ...env });
  // Its ledger and spool go with it: the benchmarks start dozens of gateways a run.
  let keep = false;
  const stop = proc.stop.bind(proc);
  proc.stop = async () => {
    await stop();
    if (!keep) rmSync(dir, { recursive: true, force: true });
  };
  return { proc, key, dir, keepFiles: () => (keep = true) };
}

/** A started Tollgate as the load generator's target, with its virtual key. */
export function tollgateTarget(tg: { proc: Proc; key: string }, name = tg.proc.name): Target {
  return { name, url: tg.proc.url, headers: { authorization: `Bearer ${tg.key}` } };
}

/**
 * The Node process that runs the server: `tsx script.ts` is a launcher that runs the script in
 * a child Node process (which may have a child of its own, esbuild's service). Its RSS, not the
 * launcher's, is the server's; CPU is read over the whole tree either way.
 */
function serverPid(pid: number): number {
  const children = readChildren(pid);
  const node = children.find((c) => readFileSync(`/proc/${c}/comm`, 'utf8').trim() === 'node');
  return node === undefined ? pid : serverPid(node);
}

function readChildren(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    // A process that just exited has no children file.
    return [];
  }
}

/** Resident set size of a process, in MB. */
export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** CPU time (user + system) of a process and its descendants so far, in microseconds (Linux /proc). */
export function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime, in clock ticks of 10 ms (USER_HZ is 100 on Linux).
  let total = (Number(f[11]) + Number(f[12])) * 10_000;
  for (const c of readChildren(pid)) total += cpuMicros(c);
  return total;
}

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/index.js';
import { BIN, type CliResult, tollgate } from './cli.js';

let fake: FakeUpstream;
let dir: string;
let taken: Server;
const TAKEN_PORT = 19561;

beforeAll(async () => {
  fake = await startFakeUpstream();
  dir = mkdtempSync(join(tmpdir(), 'tollgate-e2e-check-'));
  writeFileSync(join(dir, 'afile'), '');
  taken = createServer();
  await new Promise<void>((ok) => taken.listen(TAKEN_PORT, '127.0.0.1', ok));
});
afterAll(async () => {
  await new Promise<void>((ok) => taken.close(() => ok()));
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Parts {
  storage?: string;
  redis?: string;
  server?: string;
}

/** A config whose every part works but those `over` replaces. */
function config(name: string, over: Parts): string {
  const path = join(dir, `${name}.yaml`);
  writeFileSync(
    path,
    `storage: ${over.storage ?? `{ sqlite: ${join(dir, name, 'tollgate.db')} }`}\n` +
      `server: ${over.server ?? '{ port: 19562 }'}\n` +
      (over.redis ? `redis: ${over.redis}\n` : '') +
      `providers:\n  - { name: openai, dialect: openai, base_url: "${fake.url}", api_key: sk-o }\n`,
  );
  return path;
}

/** `tollgate serve`, which must stop at start; killed after 20 s if it serves instead. */
function serveRefuses(path: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'serve', '--config', path], { env: { ...process.env, TOLLGATE_ADMIN_TOKEN: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

type Case = [name: string, part: string, over: (dir: string) => Parts, shown: (serveSays: string, dir: string) => string];

const CASES: Case[] = [
  ['a Redis database Redis refuses', 'redis', () => ({ redis: 'redis://127.0.0.1:6379/99' }), (s) => s.replace(/^redis: /, '')],
  ['a spool folder below a file', 'spool', (d) => ({ storage: `{ sqlite: ${join(d, 'spool-db', 'tollgate.db')}, spool_dir: ${join(d, 'afile', 'spool')} }` }), (s) => s],
  ['a SQLite ledger below a file', 'storage', (d) => ({ storage: `{ sqlite: ${join(d, 'afile', 'x.db')}, spool_dir: ${join(d, 'sqlite-spool')} }` }), (s, d) => `SQLite at ${join(d, 'afile', 'x.db')}: ${s}`],
  ['a port in use', 'listen', () => ({ server: `{ port: ${TAKEN_PORT} }` }), (s) => s],
  ['an address this machine does not have', 'listen', () => ({ server: '{ host: 192.0.2.1, port: 19563 }' }), (s) => s],
];

describe('tollgate check, against what serve refuses at start', () => {
  it.each(CASES)('%s: check fails on its %s line with the reason serve stops with', async (name, part, over, shown) => {
    const path = config(name.replace(/\W+/g, '-'), over(dir));
    const served = await serveRefuses(path);
    expect(served.code).toBe(2);
    const reason = /^tollgate: (.*)\n$/.exec(served.stderr)?.[1];
    expect(reason, served.stderr).toBeDefined();
    const checked = await tollgate(['check', '--config', path]);
    expect(checked.code).toBe(1);
    expect(checked.stdout.split('\n').filter((l) => l.startsWith('FAIL'))).toEqual([`FAIL  ${part}: ${shown(reason!, dir)}`]);
    expect(checked.stderr).toMatch(/^tollgate: 1 of \d+ checks failed\n$/);
  });

  it('passes the same set-up with those parts fixed', async () => {
    const checked = await tollgate(['check', '--config', config('fixed', { redis: 'redis://127.0.0.1:6379/5' })]);
    expect(checked.stdout).not.toContain('FAIL');
    expect(checked.code).toBe(0);
  });
});

import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

/** Where npm put the agents' executables (`claude`, `codex`). */
export const AGENT_BIN = join(process.cwd(), 'node_modules', '.bin');

export interface AgentRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface AgentRunOptions {
  env: NodeJS.ProcessEnv;
  cwd?: string;
  timeout: number;
}

/** Runs a program with stdin closed (`codex exec` reads stdin when it is not a terminal): what it printed, whatever its exit code. */
export function runAgent(cmd: string, args: string[], o: AgentRunOptions): Promise<AgentRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: o.env, cwd: o.cwd, stdio: ['ignore', 'pipe', 'pipe'], timeout: o.timeout });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** `runAgent`, failing with the end of what the program printed unless it exits 0. */
export async function runAgentOk(cmd: string, args: string[], o: AgentRunOptions): Promise<AgentRun> {
  const r = await runAgent(cmd, args, o);
  if (r.code !== 0) throw new Error(`${basename(cmd)} exited ${r.code}: ${r.stderr.slice(-2000)} ${r.stdout.slice(-2000)}`);
  return r;
}

/** The config.toml lines that point Codex at a Tollgate as a provider of its own (HTTP, the key in TOLLGATE_KEY), without retries. */
export function codexProvider(gatewayUrl: string): string[] {
  return ['model_provider = "tollgate"', '[model_providers.tollgate]', 'name = "Tollgate"', `base_url = "${gatewayUrl}/v1"`, 'env_key = "TOLLGATE_KEY"', 'wire_api = "responses"', 'request_max_retries = 0', 'stream_max_retries = 0'];
}

export interface CodexRun {
  /** The folder the CODEX_HOME is made in, and its name there. */
  dir: string;
  name: string;
  /** config.toml's lines: top-level settings first, then tables (codexProvider's). */
  config: string[];
  /** The Tollgate key, as TOLLGATE_KEY. */
  key: string;
  prompt?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * What keeps a test's Codex off the internet. Codex sends its own metrics to OpenAI (ab.chatgpt.com)
 * as it exits, and waited for that up to 10 s where the host did not answer, after the turn had
 * ended; it also fetches plugins from GitHub and chatgpt.com at start. None of it is the gateway's,
 * and a slow network made a one-second run time out: the metrics are off (`[otel] metrics_exporter`),
 * and any other call outside this machine goes to a proxy port nothing listens on, refused at once.
 */
export const CODEX_OFFLINE = {
  config: ['[otel]', 'metrics_exporter = "none"'],
  env: { HTTPS_PROXY: 'http://127.0.0.1:9', HTTP_PROXY: 'http://127.0.0.1:9', https_proxy: 'http://127.0.0.1:9', http_proxy: 'http://127.0.0.1:9', NO_PROXY: '127.0.0.1,localhost', no_proxy: '127.0.0.1,localhost' },
};

/** Runs `codex exec` in a new CODEX_HOME with that config (and CODEX_OFFLINE), HOME and the working folder `dir`; fails unless it exits 0. */
export async function runCodexOk(o: CodexRun): Promise<AgentRun & { home: string }> {
  const home = join(o.dir, o.name);
  mkdirSync(home, { recursive: true });
  writeFileSync(join(home, 'config.toml'), [...o.config, ...CODEX_OFFLINE.config].join('\n'));
  const env = { PATH: process.env.PATH, HOME: o.dir, CODEX_HOME: home, TOLLGATE_KEY: o.key, ...CODEX_OFFLINE.env, ...o.env };
  const r = await runAgentOk(join(AGENT_BIN, 'codex'), ['exec', '--skip-git-repo-check', o.prompt ?? 'say hi'], { env, cwd: o.dir, timeout: 60_000 });
  return { ...r, home };
}

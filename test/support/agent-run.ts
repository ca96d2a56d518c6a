import { spawn } from 'node:child_process';
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

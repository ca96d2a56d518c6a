import { run } from '../../src/cli/program.js';

/** Runs the CLI in-process with `env` added to the environment for the call; its exit code and what it printed. */
export async function cliWithEnv(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    const code = await run(args, { out: (t) => void (out += t), err: (t) => void (err += t) });
    return { code, out, err };
  } finally {
    process.env = saved;
  }
}

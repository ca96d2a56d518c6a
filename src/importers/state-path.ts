import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** The flags that decide where rows go, hence which state file remembers what was sent there. */
export interface TargetFlags {
  state?: string | undefined;
  config?: string | undefined;
  db?: string | undefined;
  push?: string | undefined;
}

/**
 * The state file for a target: `--state`, else one per target under
 * `$TOLLGATE_STATE_DIR` (default `$XDG_STATE_HOME/tollgate`, `~/.local/state/tollgate`).
 * Computed from the flags alone, without reading the config, so that a no-change run
 * stays cheap. Without --config, --db or --push the target is the default database,
 * which lives in the working directory, so the directory is part of the key.
 */
export function statePathFor(f: TargetFlags, env: NodeJS.ProcessEnv, cwd: string): string {
  if (f.state) return resolve(cwd, f.state);
  const key = JSON.stringify({
    config: f.config ? resolve(cwd, f.config) : null,
    // A postgres:// URL is the same database from any folder; a file path is resolved against this one.
    db: f.db ? (/^[a-z][a-z0-9+.-]*:\/\//i.test(f.db) ? f.db : resolve(cwd, f.db)) : null,
    push: f.push ?? null,
    cwd: f.config || f.db || f.push ? null : cwd,
  });
  const dir = env.TOLLGATE_STATE_DIR || join(env.XDG_STATE_HOME || join(homedir(), '.local', 'state'), 'tollgate');
  // node:crypto loaded only here: loading it is a sizeable part of a no-change run given --state.
  const { createHash } = process.getBuiltinModule('node:crypto');
  return join(dir, `import-${createHash('sha256').update(key).digest('hex').slice(0, 16)}.json`);
}

import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Forks the module `name` beside `base` (an `import.meta.url`) as a child process, sends it
 * `init` as its first message (not on the command line, where a Postgres URL's password would
 * show), and resolves once it answers (it is ready). Messages are structured clones, bigints
 * included. From source (tests, tsx) the child loads tsx first; from dist it is plain JavaScript.
 */
export async function startChild(base: string, name: string, init: unknown): Promise<ChildProcess> {
  const fromSource = base.endsWith('.ts');
  const path = fileURLToPath(new URL(`./${name}.${fromSource ? 'ts' : 'js'}`, base));
  // Not the parent's flags: a `--max-semi-space-size` or the like is meant for the gateway's own traffic.
  const child = fork(path, [], { serialization: 'advanced', execArgv: fromSource ? ['--import', 'tsx'] : [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  await new Promise<void>((ok, fail) => {
    child.once('message', () => ok());
    child.once('error', fail);
    child.once('exit', (code) => fail(new Error(`${name} exited with code ${code}`)));
    child.send(init as object);
  });
  child.removeAllListeners('error');
  child.removeAllListeners('exit');
  return child;
}

import { SetupError } from '../core/errors.js';

/**
 * A readable message for errors that mean "fix your setup", or undefined for real bugs.
 * Kept apart from context.ts (which loads the whole config module) so that `tollgate import`
 * can report errors without loading it.
 */
export function describeStartupError(err: unknown): string | undefined {
  const problem = setupProblem(err);
  return problem === undefined ? undefined : `tollgate: ${problem}\n`;
}

/** What `describeStartupError` says, without the program's name: `tollgate check` puts it on its own line. */
export function setupProblem(err: unknown): string | undefined {
  if (err instanceof SetupError) return err.message;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRINUSE') return `the port is already in use (${(err as Error).message}). Pick another with --port.`;
  if (code === 'EADDRNOTAVAIL') return `this machine has no such address to listen on (${(err as Error).message}). Pick another with --host (127.0.0.1 or 0.0.0.0).`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `the host name "${(err as { hostname?: string }).hostname ?? '?'}" does not resolve: check --host, or the addresses in the config.`;
  if (code === 'EACCES') return `permission denied (${(err as Error).message}).`;
  if (code === 'ECONNREFUSED') return `cannot connect to the database (${(err as Error).message}).`;
  return undefined;
}

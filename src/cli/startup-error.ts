import { SetupError } from '../core/errors.js';

/**
 * A readable message for errors that mean "fix your setup", or undefined for real bugs.
 * Kept apart from context.ts (which loads the whole config module) so that `tollgate import`
 * can report errors without loading it.
 */
export function describeStartupError(err: unknown): string | undefined {
  if (err instanceof SetupError) return `tollgate: ${err.message}\n`;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRINUSE') return `tollgate: the port is already in use (${(err as Error).message}). Pick another with --port.\n`;
  if (code === 'EADDRNOTAVAIL') return `tollgate: this machine has no such address to listen on (${(err as Error).message}). Pick another with --host (127.0.0.1 or 0.0.0.0).\n`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `tollgate: the host name "${(err as { hostname?: string }).hostname ?? '?'}" does not resolve: check --host, or the addresses in the config.\n`;
  if (code === 'EACCES') return `tollgate: permission denied (${(err as Error).message}).\n`;
  if (code === 'ECONNREFUSED') return `tollgate: cannot connect to the database (${(err as Error).message}).\n`;
  return undefined;
}

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
  if (code === 'EACCES') return `tollgate: permission denied (${(err as Error).message}).\n`;
  if (code === 'ECONNREFUSED') return `tollgate: cannot connect to the database (${(err as Error).message}).\n`;
  return undefined;
}

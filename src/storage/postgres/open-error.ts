import { SetupError } from '../../core/errors.js';
import { withoutPassword } from '../../core/url-text.js';

/** Postgres cannot be opened as a ledger (unreachable, refused login, no such database): told in one line. */
export class PostgresOpenError extends SetupError {
  override readonly name = 'PostgresOpenError';
  constructor(url: string, cause: unknown) {
    const text = cause instanceof Error ? cause.message : String(cause);
    // pg's words when neither the URL nor PGUSER nor USER names a user (a container often has no USER).
    const hint = /no PostgreSQL user name specified/.test(text) ? ' (name the user in the URL: postgres://USER@host:port/database)' : '';
    super(`cannot open the Postgres ledger at ${redacted(url)}: ${text}${hint}`, { cause });
  }
}

/** The URL without its password, for messages and logs. */
export function redacted(url: string): string {
  try {
    return withoutPassword(new URL(url));
  } catch {
    return 'the configured URL';
  }
}

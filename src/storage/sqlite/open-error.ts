import { SetupError, errorCode } from '../../core/errors.js';

/**
 * better-sqlite3's compiled addon is tied to the Node.js version it was built with (libsql's
 * was not): after a Node.js upgrade, or an install that skipped its build, loading it fails.
 */
const NATIVE_PART = /bindings file|NODE_MODULE_VERSION|invalid ELF header|wrong ELF class/;
/** The SQLite file cannot be opened as a ledger: a setup problem, told in one line (the CLI prints it without a stack). */
export class SqliteOpenError extends SetupError {
  override readonly name = 'SqliteOpenError';
  constructor(path: string, cause: unknown) {
    const text = cause instanceof Error ? cause.message : String(cause);
    const why = /not a database/i.test(text)
      ? 'the file is not a SQLite database'
      : NATIVE_PART.test(text) || errorCode(cause) === 'ERR_DLOPEN_FAILED'
        ? `the SQLite driver's compiled part is missing or was built for another Node.js version (run \`npm rebuild better-sqlite3\` with Node.js ${process.versions.node}): ${text.split('\n')[0]}`
        : /readonly database/i.test(text)
          ? 'the file cannot be written (it, its folder, or the disk is read-only for this user): give Tollgate write access, or set storage.sqlite (or --db) to a path it can write'
          : /EACCES|EROFS|EPERM|ENOTDIR|EEXIST|unable to open/i.test(text)
          ? `the file cannot be created or opened here: ${text.split('\n')[0]} (check that its folder can be written)`
          : text;
    super(`cannot open the SQLite ledger at "${path}": ${why}`, { cause });
  }
}

import { SetupError } from '../../core/errors.js';
/** The SQLite file cannot be opened as a ledger: a setup problem, told in one line (the CLI prints it without a stack). */
export class SqliteOpenError extends SetupError {
  override readonly name = 'SqliteOpenError';
  constructor(path: string, cause: unknown) {
    const text = cause instanceof Error ? cause.message : String(cause);
    const why = /not a database/i.test(text)
      ? 'the file is not a SQLite database'
      : /EACCES|EROFS|EPERM|ENOTDIR|EEXIST|unable to open|ConnectionFailed/i.test(text)
        ? 'the file cannot be created or opened here (check that its folder can be written)'
        : text;
    super(`cannot open the SQLite ledger at "${path}": ${why}`, { cause });
  }
}

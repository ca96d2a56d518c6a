import { createWriteStream, existsSync, openSync, readlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { errorMessage } from '../core/errors.js';

/** Where CLI output goes; injectable so end-to-end tests can capture it. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export const stdio: Io = {
  out: (t) => void process.stdout.write(t),
  err: (t) => void process.stderr.write(t),
};

/** An error the CLI reports as one clear line and exit code 2 (bad usage or config), no stack trace. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * Runs a parser of what the user typed. Its RangeError (what the input got wrong) becomes a
 * UsageError, worded by `say`; any other error is a bug, and is let through to be reported as one.
 */
export function parsedInput<T>(parse: () => T, say: (problem: string) => string = (p) => p): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof RangeError) throw new UsageError(say(err.message));
    throw err;
  }
}

/** A command that could not do what was asked (a conflict, a missing record, a refusal by the gateway): one line, exit code 1. */
export class CommandError extends Error {
  override readonly name = 'CommandError';
}

const FILE_PROBLEMS: Record<string, (path: string) => string> = {
  ENOENT: missingPart,
  EACCES: () => 'permission denied',
  EPERM: () => 'permission denied',
  EISDIR: () => 'it is a folder',
  ENOSPC: () => 'the disk is full',
  EROFS: () => 'the file system is read-only',
};

/** What ENOENT means for a file being created: its folder is missing, or the path is a link to a place that is. */
function missingPart(path: string): string {
  if (!existsSync(dirname(path))) return `the folder "${dirname(path)}" does not exist`;
  try {
    return `it is a link to "${readlinkSync(path)}", whose folder does not exist`;
  } catch {
    return 'it cannot be created there';
  }
}

/** Why a command could not write its output file, as one line that names the file. */
export function outputFileError(path: string, err: unknown): CommandError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const reason = code !== undefined && FILE_PROBLEMS[code] ? FILE_PROBLEMS[code](path) : errorMessage(err);
  return new CommandError(`cannot write "${path}": ${reason}`);
}

export interface OutputFile {
  /** Resolves once the text is taken (waiting while the disk catches up). */
  write(text: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Creates (or truncates) the file a command writes its output to. It is opened at once, so
 * that a bad path fails before any work; every failure, then or later (a full disk), is a
 * one-line CommandError naming the file.
 */
export function openOutputFile(path: string): OutputFile {
  let fd: number;
  try {
    fd = openSync(path, 'w');
  } catch (err) {
    throw outputFileError(path, err);
  }
  const stream = createWriteStream(path, { fd });
  let failed: CommandError | undefined;
  stream.on('error', (err) => {
    failed ??= outputFileError(path, err);
  });
  const check = () => {
    if (failed) throw failed;
  };
  return {
    write: async (text) => {
      check();
      if (!stream.write(text)) {
        await new Promise<void>((ok) => {
          const go = () => {
            stream.off('drain', go);
            stream.off('error', go);
            ok();
          };
          stream.on('drain', go);
          stream.on('error', go);
        });
      }
      check();
    },
    close: () =>
      new Promise<void>((ok, fail) => {
        stream.end((err?: Error | null) => {
          const problem = failed ?? (err ? outputFileError(path, err) : undefined);
          if (problem) fail(problem);
          else ok();
        });
      }),
  };
}

/** Writes a command's whole output to `path` at once; failures as for `openOutputFile`. */
export function writeOutputFile(path: string, text: string): void {
  try {
    writeFileSync(path, text);
  } catch (err) {
    throw outputFileError(path, err);
  }
}

/** Whether `-o` means stdout: not given, or `-` (as `import -` reads stdin). */
export function toStdout(output: string | undefined): output is undefined | '-' {
  return output === undefined || output === '-';
}

/** A file name's extension, lower case, with its dot (`.csv`); '' for none. */
export function extensionOf(path: string): string {
  const m = /\.[^./\\]+$/.exec(path);
  return m ? m[0].toLowerCase() : '';
}

/**
 * The format a command writes: `--format` when given, else the first format the output file's
 * extension stands for (`extensions`: `.csv` → `['csv', …]`), else `fallback`. A `--format` the
 * extension does not stand for is refused (a UsageError): a .csv file of JSON lines, or a table,
 * only fails later, in whatever opens it. Other extensions, and stdout, take any format.
 */
export function outputFormat(command: string, given: string | undefined, output: string | undefined, extensions: Readonly<Record<string, readonly string[]>>, fallback: string): string {
  const ext = toStdout(output) ? '' : extensionOf(output);
  const fits = Object.hasOwn(extensions, ext) ? extensions[ext]! : undefined;
  if (given === undefined) return fits?.[0] ?? fallback;
  if (fits && !fits.includes(given)) {
    const formats = fits.length === 1 ? fits[0]! : `${fits.slice(0, -1).join(', ')} or ${fits.at(-1)!}`;
    throw new UsageError(`${command}: --format ${given} does not fit "${output!}": a ${ext} file is written with --format ${formats}; change one or leave --format out`);
  }
  return given;
}

import { mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CommandError, UsageError, extensionOf, openOutputFile, outputFormat, parsedInput, toStdout, writeOutputFile } from './output.js';

const dir = mkdtempSync(join(tmpdir(), 'tollgate-output-'));

describe('output files', () => {
  it('writes a file in pieces, waiting for the disk', async () => {
    const path = join(dir, 'out.txt');
    const f = openOutputFile(path);
    const piece = 'x'.repeat(64 * 1024);
    for (let i = 0; i < 40; i++) await f.write(piece);
    await f.close();
    expect(readFileSync(path, 'utf8')).toBe(piece.repeat(40));
  });

  it('fails at once, naming the file, when its folder is missing or it is a folder', () => {
    expect(() => openOutputFile(join(dir, 'nope', 'a.csv'))).toThrow(new CommandError(`cannot write "${join(dir, 'nope', 'a.csv')}": the folder "${join(dir, 'nope')}" does not exist`));
    expect(() => writeOutputFile(dir, 'x')).toThrow(new CommandError(`cannot write "${dir}": it is a folder`));
  });

  it('says a path that is a link to a missing folder is one, rather than that its own folder is missing', () => {
    const link = join(dir, 'latest.csv');
    symlinkSync(join(dir, 'gone', 'x.csv'), link);
    expect(() => openOutputFile(link)).toThrow(new CommandError(`cannot write "${link}": it is a link to "${join(dir, 'gone', 'x.csv')}", whose folder does not exist`));
  });

  it('fails a later write or the close when the disk is full, as one line', async () => {
    const f = openOutputFile('/dev/full');
    const err = await (async () => {
      for (let i = 0; i < 100; i++) await f.write('x'.repeat(64 * 1024));
      await f.close();
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandError);
    expect((err as Error).message).toBe('cannot write "/dev/full": the disk is full');
  });
});

describe('parsedInput', () => {
  it("turns a parser's RangeError into a usage error, worded for the flag", () => {
    const bad = () =>
      parsedInput(
        () => {
          throw new RangeError('"soon" is not a time');
        },
        (p) => `--since: ${p}`,
      );
    expect(bad).toThrow(UsageError);
    expect(bad).toThrow('--since: "soon" is not a time');
    expect(parsedInput(() => 7)).toBe(7);
  });

  it('lets any other error through: a bug is reported as one, not as bad input', () => {
    const bug = () =>
      parsedInput(() => {
        throw new TypeError('x is undefined');
      });
    expect(bug).toThrow(TypeError);
  });
});

describe('the format of an output file', () => {
  const EXPORT = { '.csv': ['csv', 'focus'], '.jsonl': ['jsonl'], '.parquet': ['focus'] };

  it('takes - for stdout, as import takes it for stdin', () => {
    expect(toStdout('-')).toBe(true);
    expect(toStdout(undefined)).toBe(true);
    expect(toStdout('./-')).toBe(false);
    expect(toStdout('out.csv')).toBe(false);
  });

  it('follows the extension where --format is not given, in any case', () => {
    expect(outputFormat('export', undefined, 'exp.csv', EXPORT, 'jsonl')).toBe('csv');
    expect(outputFormat('export', undefined, 'EXP.CSV', EXPORT, 'jsonl')).toBe('csv');
    expect(outputFormat('export', undefined, 'x.parquet', EXPORT, 'jsonl')).toBe('focus');
    expect(outputFormat('export', undefined, 'rows.txt', EXPORT, 'jsonl')).toBe('jsonl');
    expect(outputFormat('export', undefined, 'rows', EXPORT, 'jsonl')).toBe('jsonl');
    expect(outputFormat('export', undefined, '-', EXPORT, 'jsonl')).toBe('jsonl');
    expect(outputFormat('export', undefined, undefined, EXPORT, 'jsonl')).toBe('jsonl');
    expect(extensionOf('a.b/c')).toBe('');
  });

  it('keeps a --format the extension stands for, or that no extension contradicts', () => {
    expect(outputFormat('export', 'focus', 'focus.csv', EXPORT, 'jsonl')).toBe('focus');
    expect(outputFormat('export', 'csv', 'rows.txt', EXPORT, 'jsonl')).toBe('csv');
    expect(outputFormat('export', 'csv', '-', EXPORT, 'jsonl')).toBe('csv');
  });

  it('refuses a --format the extension contradicts, saying what would fit', () => {
    expect(() => outputFormat('export', 'jsonl', 'exp.csv', EXPORT, 'jsonl')).toThrow(new UsageError('export: --format jsonl does not fit "exp.csv": a .csv file is written with --format csv or focus; change one or leave --format out'));
    expect(() => outputFormat('chargeback', 'table', 'statement.csv', { '.csv': ['csv'] }, 'table')).toThrow(new UsageError('chargeback: --format table does not fit "statement.csv": a .csv file is written with --format csv; change one or leave --format out'));
  });
});

import { Command, CommanderError } from 'commander';
import { refuseBadFlagValues } from './flag-values.js';
import { describeStartupError } from './startup-error.js';
import { CommandError, type Io, UsageError } from './output.js';

/**
 * The `tollgate` program before its commands. A mistyped flag or command gets its error and a
 * pointer to the help, not the help itself: the root's help is forty lines, and the error
 * scrolled out of sight above it.
 */
export function newProgram(io: Io): Command {
  return new Command('tollgate')
    .exitOverride()
    .configureOutput({ writeOut: (t) => io.out(t), writeErr: (t) => io.err(t) })
    .showHelpAfterError('(add --help for the commands and options)');
}

/** Runs a commander program and turns every failure into one clear line and an exit code. */
export async function runProgram(program: Command, argv: string[], io: Io): Promise<number> {
  refuseBadFlagValues(program);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (err instanceof UsageError) {
      io.err(`tollgate: ${err.message}\n`);
      return 2;
    }
    if (err instanceof CommandError) {
      io.err(`tollgate: ${err.message}\n`);
      return 1;
    }
    const startup = describeStartupError(err);
    if (startup) {
      io.err(startup);
      return 2;
    }
    io.err(`tollgate: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 1;
  }
}

/**
 * `tollgate import` alone: the same command and error handling as the full program,
 * without loading the gateway and the other commands (an hourly cron pays for what it uses).
 */
export async function runImportOnly(argv: string[], io: Io): Promise<number> {
  const { importCommand } = await import('./commands/import.js');
  const program = newProgram(io);
  importCommand(program, io);
  return runProgram(program, argv, io);
}

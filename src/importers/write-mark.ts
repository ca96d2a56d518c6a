import { existsSync, rmSync, writeFileSync } from 'node:fs';

/**
 * A file beside the state that says a write into the ledger began and its state was not saved
 * after it (the process was killed, or the state could not be written). The next run cannot tell
 * which of its rows that write stored: a response whose later lines it then reads has a row of
 * its earlier, smaller usage in the ledger, which a plain insert would leave as it is. So the
 * next run upserts the rows it writes, as `--full` does, but for Codex counts (`putFirst`): their
 * row never changes, and the copy stored first names the session that made the count.
 */
export const writeMarkPath = (statePath: string) => statePath.replace(/\.json$/, '') + '.writing';

export function markWriting(statePath: string): void {
  writeFileSync(writeMarkPath(statePath), `${process.pid} ${new Date().toISOString()}\n`);
}

export function wasInterrupted(statePath: string): boolean {
  return existsSync(writeMarkPath(statePath));
}

export function clearWriting(statePath: string): void {
  rmSync(writeMarkPath(statePath), { force: true });
}

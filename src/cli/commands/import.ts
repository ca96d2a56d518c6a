import type { Command } from 'commander';
import { type Io, UsageError } from '../output.js';

export interface ImportFlags {
  config?: string;
  db?: string;
  source: string;
  dir?: string[];
  format: string;
  user?: string;
  team?: string;
  project?: string;
  push?: string;
  state?: string;
  dryRun?: boolean;
  full?: boolean;
  json?: boolean;
  quiet?: boolean;
  progress?: boolean;
}

/**
 * `tollgate import`: agent logs (Claude Code, Codex) or a Tollgate export into the ledger,
 * or pushed to a central Tollgate. The work lives in ../import-run.ts, loaded only when
 * the command runs; a no-change run is answered before this file loads (src/importers/quick-check.ts).
 */
export function importCommand(program: Command, io: Io): void {
  program
    .command('import')
    .description('Import usage from agent logs (Claude Code, Codex CLI) or a Tollgate JSONL export')
    .argument('[file]', 'with --format ledger: the JSONL file from `tollgate export` (- for stdin)')
    .option('--source <source>', 'claude-code, codex or all', 'all')
    .option('--dir <dir>', 'read this directory instead of the default one (repeatable; needs one --source)', (v: string, prev: string[] | undefined) => [...(prev ?? []), v])
    .option('--format <format>', 'logs (agent logs) or ledger (a Tollgate export)', 'logs')
    .option('--user <user>', 'charge imported rows to this user (default: config import.user, else the OS user)')
    .option('--team <team>', 'charge imported rows to this team (default: config import.team)')
    .option('--project <project>', "charge every row to this project (default: each log's git repository or directory name)")
    .option('--push <url>', "send the rows to a central Tollgate (with TOLLGATE_ADMIN_TOKEN, or your own key in TOLLGATE_KEY)")
    .option('--state <file>', 'where to remember what was imported (default: one file per target in ~/.local/state/tollgate)')
    .option('--dry-run', 'read and count, write nothing')
    .option('--full', 'forget what was imported before and read every file again (safe: rows are upserted by id)')
    .option('--json', 'print the summary as JSON')
    .option('--quiet', 'print nothing on success')
    .option('--no-progress', 'no progress bar, even on a terminal')
    .option('--config <file>', 'YAML config file (default: none, the built-in defaults)')
    .option('--db <path|url>', 'SQLite file or postgres:// URL (default ./.tollgate/tollgate.db)')
    .action(async (file: string | undefined, flags: ImportFlags) => {
      if (flags.format !== 'logs' && flags.format !== 'ledger') throw new UsageError(`import: --format must be logs or ledger, not "${flags.format}"`);
      if (flags.format === 'ledger') {
        if (!file) throw new UsageError('import --format ledger: name the JSONL file to load (or - for stdin)');
        const { importLedgerFile } = await import('../import-run.js');
        return importLedgerFile(file, flags, io);
      }
      if (file) throw new UsageError(`import: unexpected argument "${file}" (a file is only read with --format ledger)`);
      const { importLogs } = await import('../import-run.js');
      return importLogs(flags, io);
    });
}

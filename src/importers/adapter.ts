import type { Attribution } from './attribution.js';
import type { Changes } from './changes.js';
import type { FoundFile, SourceName } from './discover.js';
import type { ImportPricer } from './row.js';

/** What every source adapter gets for one import run. */
export interface RunContext {
  attribution: Attribution;
  price: ImportPricer;
  projectOf: (cwd: string) => string;
  changes: Changes;
  /**
   * Counts a usage line refused for its time: dated before EARLIEST_TIME (a clock that was not
   * set), which reports cannot reach and storage's rollups cannot name an hour of.
   */
  tooEarly(): void;
}

/**
 * One log source (Claude Code, Codex). Parsing is pure and streaming: the runner reads
 * the new bytes of each changed file and hands over complete lines; the adapter turns them
 * into ledger changes, remembering across runs what it needs (`memory`, per-file `state`).
 */
export interface SourceAdapter {
  readonly source: SourceName;
  /** The ledger `source` of its rows (`claude-code-log`): what the summary counts by. */
  readonly rowSource: string;
  /** Only lines containing these bytes can matter (a pre-filter that skips JSON.parse). */
  readonly marker: Buffer | undefined;
  start(ctx: RunContext, memory: unknown): SourceRun;
}

export interface SourceRun {
  /** A file about to be read; `state` is what `endFile` returned for it last time (undefined when read from the start). */
  beginFile(file: FoundFile, state: unknown): void;
  /** One complete line of the current file (text, not yet parsed). */
  line(text: string): void;
  /** Done with the current file; returns its state to keep. */
  endFile(): unknown;
  /** The memory to keep for the next run. */
  memory(): unknown;
}

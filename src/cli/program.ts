import type { Command } from 'commander';
import { type Io, stdio } from './output.js';
import { newProgram, runProgram } from './run-program.js';
import { VERSION } from '../core/version.js';

type AddCommand = (program: Command, io: Io) => void;

/** `tollgate --version` needs no command: loading them all took it from about 0.1 s to 0.5 s. */
const VERSION_FLAGS = new Set(['--version', '-V']);

/** Each command's module, loaded only when needed: the gateway, pricing and storage modules would cost every command their start-up. */
const COMMANDS: Record<string, () => Promise<AddCommand>> = {
  serve: async () => (await import('./commands/serve.js')).serveCommand,
  keys: async () => (await import('./commands/keys.js')).keysCommand,
  objects: async () => (await import('./commands/objects.js')).objectsCommand,
  report: async () => (await import('./commands/report.js')).reportCommand,
  'cache-report': async () => (await import('./commands/cache-report.js')).cacheReportCommand,
  export: async () => (await import('./commands/export.js')).exportCommand,
  import: async () => (await import('./commands/import.js')).importCommand,
  budgets: async () => (await import('./commands/budgets.js')).budgetsCommand,
  limits: async () => (await import('./commands/limits.js')).limitsCommand,
  models: async () => (await import('./commands/models.js')).modelsCommand,
  status: async () => (await import('./commands/status.js')).statusCommand,
  routing: async () => (await import('./commands/routing.js')).routingCommand,
  detect: async () => (await import('./commands/detect.js')).detectCommand,
  explain: async () => (await import('./commands/explain.js')).explainCommand,
  forecast: async () => (await import('./commands/forecast.js')).forecastCommand,
  outcomes: async () => (await import('./commands/outcomes.js')).outcomesCommand,
  chargeback: async () => (await import('./commands/chargeback.js')).chargebackCommand,
  check: async () => (await import('./commands/check.js')).checkCommand,
};

/**
 * Builds the `tollgate` program. Commands are thin: they parse flags and call the parts.
 * With `only` naming a command, just that one is registered (a run needs no other); without,
 * or for a name that is not a command, all of them (help, suggestions for a typo); none for `--version`.
 */
export async function buildProgram(io: Io = stdio, only?: string): Promise<Command> {
  const program = newProgram(io).description('Tollgate: a self-hosted control plane for AI token spend').version(VERSION);
  const names = only !== undefined && Object.hasOwn(COMMANDS, only) ? [only] : only !== undefined && VERSION_FLAGS.has(only) ? [] : Object.keys(COMMANDS);
  for (const add of await Promise.all(names.map((n) => COMMANDS[n]!()))) add(program, io);
  return program;
}

export async function run(argv: string[], io: Io = stdio): Promise<number> {
  return runProgram(await buildProgram(io, argv[0]), argv, io);
}

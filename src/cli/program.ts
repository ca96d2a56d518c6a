import { Command } from 'commander';
import { budgetsCommand } from './commands/budgets.js';
import { detectCommand } from './commands/detect.js';
import { explainCommand } from './commands/explain.js';
import { chargebackCommand } from './commands/chargeback.js';
import { exportCommand } from './commands/export.js';
import { forecastCommand } from './commands/forecast.js';
import { importCommand } from './commands/import.js';
import { keysCommand } from './commands/keys.js';
import { limitsCommand } from './commands/limits.js';
import { modelsCommand } from './commands/models.js';
import { outcomesCommand } from './commands/outcomes.js';
import { reportCommand } from './commands/report.js';
import { routingCommand } from './commands/routing.js';
import { cacheReportCommand } from './commands/cache-report.js';
import { serveCommand } from './commands/serve.js';
import { statusCommand } from './commands/status.js';
import { type Io, stdio } from './output.js';
import { runProgram } from './run-program.js';

/** Builds the `tollgate` program. Commands are thin: they parse flags and call the parts. */
export function buildProgram(io: Io = stdio): Command {
  const program = new Command('tollgate')
    .description('Tollgate: a self-hosted control plane for AI token spend')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ writeOut: (t) => io.out(t), writeErr: (t) => io.err(t) })
    .showHelpAfterError();
  serveCommand(program, io);
  keysCommand(program, io);
  reportCommand(program, io);
  cacheReportCommand(program, io);
  exportCommand(program, io);
  importCommand(program, io);
  budgetsCommand(program, io);
  limitsCommand(program, io);
  modelsCommand(program, io);
  statusCommand(program, io);
  routingCommand(program, io);
  detectCommand(program, io);
  explainCommand(program, io);
  forecastCommand(program, io);
  outcomesCommand(program, io);
  chargebackCommand(program, io);
  return program;
}

export function run(argv: string[], io: Io = stdio): Promise<number> {
  return runProgram(buildProgram(io), argv, io);
}

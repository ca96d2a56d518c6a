import type { Command } from 'commander';
import { raisedJson } from '../../anomalies/render.js';
import { type Raised, replay } from '../../anomalies/replay.js';
import { DETECTORS, type DetectorId } from '../../anomalies/types.js';
import { usdColumn } from '../../core/money.js';
import { type StorageFlags, addStorageFlags, parseWindow, withStorage } from '../context.js';
import { type Io, UsageError } from '../output.js';
import { progressBar } from '../progress.js';
import { configRateBook } from '../rates.js';
import { renderTable } from '../table.js';

interface DetectFlags extends StorageFlags {
  since?: string;
  until?: string;
  detector?: string;
  step?: string;
  format: string;
}

export function detectCommand(program: Command, io: Io): void {
  addStorageFlags(
    program
      .command('detect')
      .description('Replay the anomaly detectors over a past window: what they would have raised, and when')
      .option('--since <time>', 'start: 30m, 24h, 7d, a date or an ISO timestamp (required)')
      .option('--until <time>', 'end (exclusive); default now')
      .option('--detector <name>', `only this detector: ${DETECTORS.join(', ')}`)
      .option('--step <duration>', 'evaluation step, such as 60s or 5m (default: anomalies.interval_seconds)')
      .option('--format <format>', 'table or json', 'table'),
  ).action((flags: DetectFlags) =>
    withStorage(flags, async (storage, config) => {
      if (!flags.since) throw new UsageError('detect: --since is required (for example --since 7d)');
      if (flags.format !== 'table' && flags.format !== 'json') throw new UsageError(`detect: --format must be table or json, not "${flags.format}"`);
      const only = flags.detector;
      if (only !== undefined && !(DETECTORS as readonly string[]).includes(only)) throw new UsageError(`detect: --detector must be one of ${DETECTORS.join(', ')}, not "${only}"`);
      const stepMs = flags.step === undefined ? undefined : parseStep(flags.step);
      const { since = 0, until = Date.now() } = parseWindow(flags);
      if (until <= since) throw new UsageError('detect: --until must be after --since');
      const settings = config.anomalies;
      const evaluations = Math.floor((until - since) / (stepMs ?? settings.intervalMs));
      // The first evaluation is one step after --since: a step longer than the window would run none and report nothing raised.
      if (evaluations === 0) throw new UsageError(`detect: --step ${flags.step ?? `${settings.intervalMs / 1000}s`} is longer than the window (${Math.floor((until - since) / 1000)}s): no evaluation would run; a shorter step, or an earlier --since`);
      if (evaluations > MAX_EVALUATIONS) {
        const fits = Math.ceil((until - since) / MAX_EVALUATIONS / 60_000);
        throw new UsageError(`detect: ${evaluations.toLocaleString('en-US')} evaluations is too many (at most ${MAX_EVALUATIONS.toLocaleString('en-US')}): a shorter window, or a longer --step (${fits}m or more for this one)`);
      }
      // Naming a detector runs it even when the config turns it off: that is how thresholds get tuned before alerts are on.
      if (only) settings.detectors[only as DetectorId].enabled = true;
      // An evaluation over a large ledger takes seconds, and a week at 60 s steps is 10,080 of them.
      const bar = progressBar('detect', process.stderr, (done, total) => `${done} of ${total} evaluations`);
      const raised = await replay(storage.ledger, settings, configRateBook(config), { since, until, stepMs, only: only as DetectorId | undefined, progress: (done, total) => bar.update(done, total) });
      bar.end();
      io.out(flags.format === 'json' ? JSON.stringify({ since: new Date(since).toISOString(), until: new Date(until).toISOString(), raised: raised.map(raisedJson) }, null, 2) + '\n' : table(raised, since, until));
    }, { read: true }),
  );
}

/** Evaluations a replay may run: a year at 5-minute steps is 105,120 (each one a query of the ledger). */
const MAX_EVALUATIONS = 200_000;

function parseStep(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(s|m|h|d)$/.exec(text.trim());
  const ms = m ? Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'] : NaN;
  if (!m) throw new UsageError(`detect: --step must be a duration in s, m, h or d, such as 60s or 5m, not "${text}"`);
  if (!(ms >= 1000)) throw new UsageError(`detect: --step must be at least 1s, not "${text}"`);
  return ms;
}

function table(raised: readonly Raised[], since: number, until: number): string {
  const span = `${new Date(since).toISOString()} to ${new Date(until).toISOString()}`;
  if (raised.length === 0) return `Nothing would have been raised from ${span}.\n`;
  const usd = usdColumn(raised.map((r) => r.detection.excessPicos));
  const rows = raised.map(({ at, detection: d }) => [new Date(at).toISOString().slice(0, 16).replace('T', ' '), d.detector, d.severity, d.subject, usd(d.excessPicos), d.message]);
  const head = `${raised.length} ${raised.length === 1 ? 'anomaly' : 'anomalies'} would have been raised from ${span}:\n\n`;
  return head + renderTable(['raised (UTC)', 'detector', 'severity', 'subject', 'excess', 'message'], rows, [4]);
}

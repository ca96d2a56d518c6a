import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/cli/program.js';
import { openSqlite } from '../../src/storage/sqlite/sqlite-storage.js';
import { variedRow } from '../support/seed-rows.js';

// Whatever a user types after `tollgate <command>` (flags in any order, values of the wrong kind,
// unknown flags, dates that are not dates), the command ends with an exit code: its output, or one
// line saying what is wrong. Never a stack trace. Run in-process, against a ledger with rows in it.

const dir = mkdtempSync(join(tmpdir(), 'tollgate-cli-args-'));
const db = join(dir, 'tollgate.db');
const stateBefore = process.env.TOLLGATE_STATE_DIR;

beforeAll(async () => {
  const storage = openSqlite(db);
  await storage.ledger.insert(Array.from({ length: 300 }, (_, i) => variedRow(i, 300)));
  await storage.close();
  process.env.TOLLGATE_STATE_DIR = join(dir, 'state');
});
afterAll(() => {
  if (stateBefore === undefined) delete process.env.TOLLGATE_STATE_DIR;
  else process.env.TOLLGATE_STATE_DIR = stateBefore;
});

/** Each command with its own flags (a user types mostly those, and sometimes another's). */
const COMMANDS: [string[], string[]][] = [
  [['report'], ['--since', '--until', '--by', '--format']],
  [['cache-report'], ['--since', '--until', '--by', '--format']],
  [['export'], ['--format', '--since', '--until']],
  [['explain'], ['--from', '--to', '--format', '--user', '--team', '--model', '--workflow']],
  [['detect'], ['--since', '--until', '--detector', '--step', '--format']],
  [['forecast'], ['--budget', '--lookback', '--format']],
  [['chargeback'], ['--month', '--by', '--format']],
  [['keys', 'create'], ['--user', '--team', '--project', '--name', '--json']],
  [['keys', 'list'], ['--all', '--json']],
  [['keys', 'revoke'], []],
  [['objects', 'assign'], ['--key', '--team', '--provider', '--force', '--as', '--json']],
  [['objects', 'show'], ['--json']],
  [['objects', 'forget'], ['--as', '--json']],
  [['budgets', 'list'], ['--json']],
  [['budgets', 'set'], ['--scope', '--window', '--limit', '--id', '--name', '--thresholds', '--fail', '--pool', '--downgrade-at', '--downgrade-to', '--enforce-max-tokens']],
  [['outcomes', 'add'], ['--kind', '--session', '--user', '--tag', '--ts', '--id', '--value']],
  [['outcomes', 'report'], ['--since', '--until', '--by', '--kind', '--format']],
  [['limits', 'list'], ['--json']],
  [['models', 'list'], ['--json']],
  [['import'], ['--source', '--format', '--user', '--team', '--project', '--dry-run', '--full', '--json', '--quiet', '--no-progress']],
];
const OTHER_FLAGS = ['--nonsense', '--since', '--scope', '--json', '--help'];
const VALUES = [
  '7d', '30d', '1h', '2026-11', '2026-13', '2026-11-01', '2026-02-30', '2026-11-01T00:00:00Z', 'yesterday', 'now', '-1', '0', '1e309', '12abc', '50',
  'json', 'csv', 'jsonl', 'focus', 'parquet', 'team', 'user', 'model', 'key', 'project', 'tag:workflow', 'tag:', 'day', 'month', 'fortnight', 'team:platform',
  'user:', 'user:alice', 'claude-code', 'codex', 'ledger', 'all', 'spend_spike', 'runaway_session', 'nope', '', ' ', '--', '"', '%zz', 'key_x',
  'vs_1', 'skill_01x', 'files/abc', 'openai', 'anthropic',
  '50,80,100', '150,x', 'block', 'warn', 'pr_merged', 'workflow=review', '=', 'claude-sonnet-4-5',
];
const value = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...VALUES) }, { weight: 1, arbitrary: fc.string({ maxLength: 12 }) });

const argv = fc.constantFrom(...COMMANDS).chain(([command, own]) => {
  const flag = own.length === 0 ? fc.constantFrom(...OTHER_FLAGS) : fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...own) }, { weight: 1, arbitrary: fc.constantFrom(...OTHER_FLAGS) });
  const arg = fc.oneof({ weight: 8, arbitrary: fc.tuple(flag, value) }, { weight: 2, arbitrary: flag.map((f) => [f]) }, { weight: 1, arbitrary: value.map((v) => [v]) });
  return fc.array(arg, { maxLength: 4 }).map((args) => [
    ...command,
    ...args.flat(),
    // Always this test's ledger, and import's folder and output files under this test's folder.
    '--db', db, ...(command[0] === 'import' ? ['--dir', dir] : []), ...(command[0] === 'export' || command[0] === 'chargeback' ? ['-o', join(dir, 'out.csv')] : []),
  ]);
});

describe('any arguments to any command', () => {
  it('end with an exit code and a one-line error, never a stack trace', { timeout: 120_000 }, async () => {
    const codes = new Set<number>();
    await fc.assert(
      fc.asyncProperty(argv, async (args) => {
        let out = '';
        let err = '';
        const code = await run(args, { out: (t) => void (out += t), err: (t) => void (err += t) });
        codes.add(code);
        expect([0, 1, 2], `${args.join(' ')}\n${err}`).toContain(code);
        expect(err, args.join(' ')).not.toMatch(/\n\s+at .+:\d+:\d+\)?$/m);
        if (code !== 0) expect(err.trim().length, args.join(' ')).toBeGreaterThan(10);
        void out;
      }),
      { seed: 20261205, numRuns: 300 },
    );
    expect(codes.has(0)).toBe(true);
    expect(codes.has(2)).toBe(true);
  });
});

describe('tollgate detect', () => {
  const cli = async (args: string[]) => {
    let err = '';
    const code = await run([...args, '--db', db], { out: () => undefined, err: (t) => void (err += t) });
    return { code, err };
  };

  it('refuses a replay of more evaluations than it can run in reasonable time, saying what would fit', async () => {
    const r = await cli(['detect', '--since', '20000d']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^tollgate: detect: 28,800,000 evaluations is too many \(at most 200,000\): a shorter window, or a longer --step \(14[45]m or more for this one\)/);
  });

  it('refuses a step longer than the window, which would run no evaluation and report nothing raised', async () => {
    const r = await cli(['detect', '--since', '5m', '--step', '1h']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^tollgate: detect: --step 1h is longer than the window \(300s\): no evaluation would run/);
    expect((await cli(['detect', '--since', '5m', '--step', '5m'])).code).toBe(0);
  });

  it('takes a step in days, and names the units it takes', async () => {
    expect((await cli(['detect', '--since', '30d', '--step', '1d'])).code).toBe(0);
    expect((await cli(['detect', '--since', '7d', '--step', '999999x'])).err).toContain('--step must be a duration in s, m, h or d, such as 60s or 5m, not "999999x"');
  });
});

describe('reading commands pointed at a ledger that does not exist', () => {
  it('say so and make no file, lists of rules included; an unknown key id is exit 1, as every unknown id', async () => {
    const missing = join(dir, 'typo', 'tollgate.db');
    for (const args of [['keys', 'list'], ['budgets', 'list'], ['budgets', 'pool', 'list'], ['budgets', 'increases'], ['budgets', 'audit'], ['limits', 'list'], ['models', 'list']]) {
      let err = '';
      const code = await run([...args, '--db', missing], { out: () => undefined, err: (t) => void (err += t) });
      expect([args.join(' '), code]).toEqual([args.join(' '), 1]);
      expect(err).toContain(`no ledger at "${missing}" yet`);
      expect(existsSync(missing)).toBe(false);
    }
    let err = '';
    expect(await run(['keys', 'revoke', 'key_nope', '--db', db], { out: () => undefined, err: (t) => void (err += t) })).toBe(1);
    expect(err).toBe('tollgate: keys revoke: no key key_nope\n');
  });
});

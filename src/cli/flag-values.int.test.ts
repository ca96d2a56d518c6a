import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliWithEnv } from '../../test/support/cli.js';

const db = join(mkdtempSync(join(tmpdir(), 'tg-flag-values-')), 'tollgate.db');

const cli = (args: string[]) => cliWithEnv(args);

describe('flag values commander would take without a word', () => {
  it('a flag that takes one value, given twice, is refused as bad usage naming both values, before anything is read or written', async () => {
    for (const [args, flag, values] of [
      [['report', '--since', '7d', '--since=1d'], '--since', '"7d", then "1d"'],
      [['budgets', 'set', '--scope', 'team:a', '--window', 'day', '--limit', '5', '--limit', '6'], '--limit', '"5", then "6"'],
      [['export', '-o', 'a.csv', '--output', 'b.csv'], '--output', '"a.csv", then "b.csv"'],
      [['import', '--source', 'codex', '--source', 'claude-code'], '--source', '"codex", then "claude-code"'],
      [['keys', 'create', '--user', 'a', '--db', db, '--db', db], '--db', `"${db}", then "${db}"`],
    ] as const) {
      const r = await cli([...args]);
      expect(r, args.join(' ')).toEqual({ code: 2, out: '', err: `tollgate: ${flag} is given twice (${values}): give it once\n` });
    }
  });

  it('a flag given twice is still taken where it is a list or made to repeat, and a switch given twice is a switch', async () => {
    const keys = await cli(['keys', 'create', '--user', 'a', '--json', '--json', '--db', db]);
    expect(keys.code, keys.err).toBe(0);
    const report = await cli(['report', '--by', 'user', '--by', 'team', '--format', 'json', '--db', db]);
    expect(report.code, report.err).toBe(0);
    expect(JSON.parse(report.out).by).toEqual(['user', 'team']);
  });

  it('an empty value is refused as bad usage naming the flag, not read as the flag left out', async () => {
    for (const [args, flag] of [
      [['report', '--since', ''], '--since'],
      [['report', '--by', 'day', ' '], '--by'],
      [['import', '--source', 'codex', '--dir', ''], '--dir'],
      [['import', '--source', 'codex', '--push', ''], '--push'],
      [['export', '-o', ''], '--output'],
      [['outcomes', 'report', '--kind', ''], '--kind'],
    ] as const) {
      const r = await cli([...args, '--db', db]);
      expect(r, args.join(' ')).toEqual({ code: 2, out: '', err: `tollgate: ${flag} must not be empty: give it a value, or leave it out\n` });
    }
    // Those with advice of their own keep it.
    expect((await cli(['serve', '--host', ''])).err).toBe('tollgate: --host must not be empty (127.0.0.1 for this machine only, 0.0.0.0 for every interface)\n');
    expect((await cli(['models', 'set', '--scope', 'team:a', '--allow', '', '--db', db])).err).toMatch(/^tollgate: --allow: give at least one model glob/);
  });
});


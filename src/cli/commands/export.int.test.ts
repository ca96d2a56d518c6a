import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { usd } from '../../core/money.js';
import { openSqlite } from '../../storage/sqlite/sqlite-storage.js';
import { sampleRow } from '../../storage/testing/rows.js';
import { cliWithEnv } from '../../../test/support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'tg-cli-export-'));
const db = join(dir, 'tollgate.db');
const TS = Date.UTC(2026, 10, 5, 10);

beforeAll(async () => {
  const storage = openSqlite(db);
  await storage.ledger.insert([sampleRow({ id: 'r1', ts: TS, user: 'alice', team: 'platform', costPicos: usd(1) })]);
  // October: a model with no price beside a priced one (the tests above read from November on).
  await storage.ledger.insert([
    sampleRow({ id: 'u1', ts: Date.UTC(2026, 9, 5, 10), model: 'mystery-model', costPicos: null, unpriced: true }),
    sampleRow({ id: 'u2', ts: Date.UTC(2026, 9, 5, 11), model: 'mystery-model', costPicos: null, unpriced: true }),
    sampleRow({ id: 'p1', ts: Date.UTC(2026, 9, 5, 12), costPicos: usd(1) }),
  ]);
  await storage.close();
});

const cli = (...args: string[]) => cliWithEnv([...args, '--db', db]);

describe('tollgate export -o', () => {
  it('writes to stdout for -o -, and no file named -', async () => {
    const r = await cli('export', '--format', 'focus', '--since', '2026-11-01', '-o', '-');
    expect(r.code).toBe(0);
    expect(r.out.split('\n')[0]!.startsWith('BilledCost,BillingAccountId,')).toBe(true);
    expect(r.out.split('\n').length).toBeGreaterThan(2);
    expect(existsSync('-')).toBe(false);
    const jsonl = await cli('export', '--since', '2026-11-01', '-o', '-');
    expect(JSON.parse(jsonl.out.trim()).id).toBe('r1');
  });

  it('writes the format the extension names where --format is not given', async () => {
    const csv = join(dir, 'exp.csv');
    expect((await cli('export', '--since', '2026-11-01', '-o', csv)).code).toBe(0);
    expect(readFileSync(csv, 'utf8').split('\n')[0]!.startsWith('id,ts,api,provider,model,')).toBe(true);
    const jsonl = join(dir, 'exp.JSONL');
    expect((await cli('export', '--since', '2026-11-01', '-o', jsonl)).code).toBe(0);
    expect(JSON.parse(readFileSync(jsonl, 'utf8').trim()).id).toBe('r1');
    const parquet = join(dir, 'exp.parquet');
    expect((await cli('export', '--since', '2026-11-01', '-o', parquet)).code).toBe(0);
    expect(readFileSync(parquet).subarray(0, 4).toString()).toBe('PAR1');
    // FOCUS is CSV: a .csv file takes it.
    const focus = join(dir, 'focus.csv');
    expect((await cli('export', '--format', 'focus', '--since', '2026-11-01', '-o', focus)).code).toBe(0);
    expect(readFileSync(focus, 'utf8').startsWith('BilledCost,')).toBe(true);
  });

  it('refuses a --format the extension contradicts, before writing anything', async () => {
    const csv = join(dir, 'conflict.csv');
    const r = await cli('export', '--format', 'jsonl', '--since', '2026-11-01', '-o', csv);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`export: --format jsonl does not fit "${csv}": a .csv file is written with --format csv or focus`);
    expect(existsSync(csv)).toBe(false);
    expect((await cli('export', '--format', 'csv', '--since', '2026-11-01', '-o', join(dir, 'x.parquet'))).code).toBe(2);
  });

  it('leaves an existing -o file and its metadata as they were when --since or --until is not a time', async () => {
    for (const name of ['kept.csv', 'kept.parquet', 'kept.jsonl']) {
      const file = join(dir, name);
      const metadata = join(dir, name.replace(/\.[a-z]+$/, '.metadata.json'));
      writeFileSync(file, 'last month\n');
      writeFileSync(metadata, '{"kept":true}\n');
      for (const bad of [['--since', 'yesterday'], ['--since', '2026-11-01', '--until', '2026-13-01']]) {
        const r = await cli('export', ...bad, '-o', file, ...(name === 'kept.jsonl' ? [] : ['--format', 'focus']));
        expect(r.code).toBe(2);
        expect(r.err).toContain('is not a time');
        expect(r.out).toBe('');
        expect(readFileSync(file, 'utf8')).toBe('last month\n');
        expect(readFileSync(metadata, 'utf8')).toBe('{"kept":true}\n');
      }
    }
  });

  it('prints nothing to stdout, not even the CSV header, when --since is not a time', async () => {
    const r = await cli('export', '--format', 'csv', '--since', 'yesterday');
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
  });
});

describe('tollgate export --format focus: unpriced requests', () => {
  it('are told on stderr, as their rows say $0, for CSV and Parquet alike; a priced window says nothing', async () => {
    const told = 'export: 2 request(s) used a model with no known price; FOCUS allows no null cost, so their rows carry their tokens at $0';
    const csv = await cli('export', '--format', 'focus', '--since', '2026-10-01', '--until', '2026-10-06');
    expect(csv.code).toBe(0);
    expect(csv.out).toContain('mystery-model');
    expect(csv.out).not.toContain(told);
    expect(csv.err).toContain(told);
    const parquet = await cli('export', '--since', '2026-10-01', '--until', '2026-10-06', '-o', join(dir, 'unpriced.parquet'));
    expect(parquet.code).toBe(0);
    expect(parquet.err).toContain(told);
    const priced = await cli('export', '--format', 'focus', '--since', '2026-11-01');
    expect(priced.err).not.toContain('no known price');
  });
});

describe('tollgate export --format focus: the schema metadata', () => {
  it('is written beside a CSV or Parquet file, describing it, and where --metadata says with stdout', async () => {
    const csv = join(dir, 'meta.csv');
    expect((await cli('export', '--format', 'focus', '--since', '2026-11-01', '-o', csv)).code).toBe(0);
    const lines = readFileSync(csv, 'utf8').split('\n').filter(Boolean).length - 1;
    const meta = JSON.parse(readFileSync(join(dir, 'meta.metadata.json'), 'utf8')) as Record<string, unknown>;
    expect(meta).toMatchObject({ FocusVersion: '1.2', data_location: [{ filepath: 'meta.csv', total_bytes: statSync(csv).size, total_rows: lines }] });
    const parquet = join(dir, 'meta.parquet');
    expect((await cli('export', '--since', '2026-11-01', '-o', parquet)).code).toBe(0);
    // One metadata file for the dataset in both formats: the Parquet export lists itself after the CSV, rather than in its place.
    expect(JSON.parse(readFileSync(join(dir, 'meta.metadata.json'), 'utf8'))).toMatchObject({
      data_location: [
        { filepath: 'meta.csv', total_bytes: statSync(csv).size, total_rows: lines },
        { filepath: 'meta.parquet', total_bytes: statSync(parquet).size, total_rows: lines },
      ],
    });
    expect((await cli('export', '--format', 'focus', '--since', '2026-11-01', '--until', '2026-11-02', '-o', csv)).code).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'meta.metadata.json'), 'utf8'))).toMatchObject({
      data_location: [
        { filepath: 'meta.csv', total_bytes: statSync(csv).size, total_rows: 0 },
        { filepath: 'meta.parquet', total_bytes: statSync(parquet).size, total_rows: lines },
      ],
    });
    const aside = join(dir, 'stdout.metadata.json');
    const out = await cli('export', '--format', 'focus', '--since', '2026-11-01', '--metadata', aside);
    expect(out.code).toBe(0);
    expect(JSON.parse(readFileSync(aside, 'utf8'))).not.toHaveProperty('data_location');
    expect(JSON.parse(readFileSync(aside, 'utf8'))).toHaveProperty('SchemaId', meta.SchemaId);
  });

  it('is refused for a ledger export, and a path it cannot be written to is told before the ledger is read', async () => {
    const r = await cli('export', '--since', '2026-11-01', '--metadata', join(dir, 'm.json'));
    expect(r.code).toBe(2);
    expect(r.err).toContain('export: --metadata describes a FOCUS dataset (--format focus)');
    const bad = await cli('export', '--format', 'focus', '--since', '2026-11-01', '-o', join(dir, 'never.csv'), '--metadata', join(dir, 'no-such-dir', 'm.json'));
    expect(bad.code).not.toBe(0);
    expect(bad.err).toContain(`cannot write "${join(dir, 'no-such-dir', 'm.json')}"`);
    expect(readFileSync(join(dir, 'never.csv'), 'utf8')).toBe('');
  });
});

describe('tollgate chargeback -o', () => {
  it('writes CSV to a .csv file and JSON to a .json one where --format is not given', async () => {
    const csv = join(dir, 'statement.csv');
    const r = await cli('chargeback', '--month', '2026-11', '-o', csv);
    expect(r.code).toBe(0);
    expect(r.out).toBe(`Wrote the 2026-11 statement to ${csv}.\n`);
    expect(readFileSync(csv, 'utf8').split('\n').slice(0, 2)).toEqual(['team,spend_usd,share,requests,input_tokens,cache_read_tokens,cache_write_tokens,output_tokens,unpriced_requests,top_models,pools', 'platform,1,1,1,1000,200,0,100,0,gpt-5=1,']);
    const json = join(dir, 'statement.json');
    expect((await cli('chargeback', '--month', '2026-11', '-o', json)).code).toBe(0);
    expect(JSON.parse(readFileSync(json, 'utf8')).month).toBe('2026-11');
  });

  it('prints the statement for -o -, and refuses a --format the extension contradicts', async () => {
    const r = await cli('chargeback', '--month', '2026-11', '--format', 'csv', '-o', '-');
    expect(r.code).toBe(0);
    expect(r.out.startsWith('team,spend_usd,')).toBe(true);
    expect(existsSync('-')).toBe(false);
    const bad = await cli('chargeback', '--month', '2026-11', '--format', 'table', '-o', join(dir, 's.csv'));
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('chargeback: --format table does not fit');
  });

  it('refuses a month before 1970 as bad usage, reading nothing', async () => {
    const r = await cli('chargeback', '--month', '0000-01');
    expect(r.code).toBe(2);
    expect(r.err).toContain('--month: month "0000-01" is before 1970-01');
    expect(r.out).toBe('');
  });
});

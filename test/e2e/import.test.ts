import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { findProvider } from '@pydantic/genai-prices';
import { generateCorpus } from '../../src/importers/testing/corpus.js';
import { SNAPSHOT_FILE, installedCatalogVersion, takeSnapshot } from '../../src/pricing/snapshot.js';
import { toJsonLine } from '../../src/reports/export.js';
import { TEST_PG_URL, dropSchemas } from '../../src/storage/testing/postgres.js';
import { sampleRow } from '../../src/storage/testing/rows.js';
import { tollgate } from './cli.js';

describe('tollgate import (built CLI)', () => {
  it('imports, then answers a re-run with nothing new, and prints help', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-e2e-import-'));
    const corpus = generateCorpus({ out: join(dir, 'logs'), mb: 0.5, seed: 3 });
    const env = { TOLLGATE_STATE_DIR: join(dir, 'state') };
    const args = ['import', '--source', 'claude-code', '--dir', corpus.claudeDir, '--db', join(dir, 'l.db')];
    const first = await tollgate(args, { cwd: dir, env });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain(`claude-code-log: ${corpus.expected.claude.responses} responses, ${corpus.expected.claude.output} output tokens`);
    // Not a terminal: no progress bar on stderr.
    expect(first.stderr).toBe('');
    const again = await tollgate(args, { cwd: dir, env });
    expect(again).toMatchObject({ code: 0, stdout: `Nothing new in ${corpus.files} log files.\n` });
    const report = await tollgate(['report', '--db', join(dir, 'l.db'), '--since', '2000-01-01', '--by', 'client', '--format', 'json'], { cwd: dir });
    expect(JSON.parse(report.stdout).rows[0]).toMatchObject({ client: 'claude-code', requests: corpus.expected.claude.responses });
    const help = await tollgate(['import', '--help'], { cwd: dir });
    expect(help.stdout).toContain('--push <url>');
    const bad = await tollgate(['import', '--format', 'yaml'], { cwd: dir, env });
    expect(bad).toMatchObject({ code: 2, stderr: 'tollgate: import: --format must be logs or ledger, not "yaml"\n' });
  });

  it('says where it looked when it finds no agent logs at all, on the first run and the no-change check after it', async () => {
    const home = mkdtempSync(join(tmpdir(), 'tollgate-e2e-home-'));
    const env = { HOME: home, CLAUDE_CONFIG_DIR: '', CODEX_HOME: '', XDG_CONFIG_HOME: '', TOLLGATE_STATE_DIR: join(home, 'state') };
    const where = `No agent logs found: looked for Claude Code's in ${join(home, '.config', 'claude', 'projects')} and ${join(home, '.claude', 'projects')}, Codex's in ${join(home, '.codex', 'sessions')}.`;
    for (let run = 0; run < 2; run++) {
      const r = await tollgate(['import', '--db', join(home, 'l.db')], { cwd: home, env });
      expect(r).toMatchObject({ code: 0, stdout: expect.stringContaining(where) });
    }
  });

  it('prices from the catalog snapshot the build wrote from the installed catalog', () => {
    const built = JSON.parse(readFileSync(join(process.cwd(), 'dist', 'pricing', SNAPSHOT_FILE), 'utf8')) as unknown;
    expect(built).toEqual(takeSnapshot((id) => findProvider({ providerId: id }), (url) => findProvider({ providerApiUrl: url }), installedCatalogVersion()));
  });
});

describe('--db with a Postgres URL (built CLI)', () => {
  const schema = `tg_e2e_db_url_${process.pid}_${Date.now() % 100000}`;
  afterAll(() => dropSchemas([schema]));

  it('writes to and reads from Postgres, not a SQLite file named after the URL; another URL is refused naming the flag', async () => {
    const c = new pg.Client({ connectionString: TEST_PG_URL });
    await c.connect();
    await c.query(`CREATE SCHEMA ${schema}`);
    await c.end();
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-e2e-db-url-'));
    const file = join(dir, 'rows.jsonl');
    writeFileSync(file, [1, 2, 3].map((i) => toJsonLine(sampleRow({ id: `pg-${i}` }))).join(''));
    const url = `${TEST_PG_URL.replace(/^postgres:/, 'postgresql:')}?options=-c%20search_path%3D${schema}`;
    const env = { TOLLGATE_STATE_DIR: join(dir, 'state') };
    const loaded = await tollgate(['import', '--format', 'ledger', file, '--db', url, '--json'], { cwd: dir, env });
    expect(loaded.code, loaded.stderr).toBe(0);
    expect(JSON.parse(loaded.stdout)).toEqual({ read: 3, written: 3, skipped: 0 });
    expect(existsSync(join(dir, 'postgresql:'))).toBe(false);
    const check = new pg.Client({ connectionString: TEST_PG_URL });
    await check.connect();
    try {
      expect((await check.query(`SELECT id FROM ${schema}.requests ORDER BY id`)).rows.map((r: { id: string }) => r.id)).toEqual(['pg-1', 'pg-2', 'pg-3']);
    } finally {
      await check.end();
    }
    const report = await tollgate(['report', '--db', url, '--since', '2000-01-01', '--format', 'json'], { cwd: dir });
    expect(report.code, report.stderr).toBe(0);
    expect(JSON.parse(report.stdout).total.requests).toBe(3);
    const exported = await tollgate(['export', '--db', url, '--since', '2000-01-01'], { cwd: dir });
    expect(exported.stdout.trim().split('\n')).toHaveLength(3);
    for (const args of [['import', '--format', 'ledger', file], ['report', '--since', '7d']]) {
      const refused = await tollgate([...args, '--db', 'mysql://root@127.0.0.1/x'], { cwd: dir, env });
      expect(refused).toMatchObject({ code: 2, stderr: 'tollgate: --db "mysql://…" is not a ledger Tollgate can use: give a SQLite file path or a postgres:// (postgresql://) URL\n' });
    }
    expect(existsSync(join(dir, 'mysql:'))).toBe(false);
  });
});

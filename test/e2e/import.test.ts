import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findProvider } from '@pydantic/genai-prices';
import { generateCorpus } from '../../src/importers/testing/corpus.js';
import { SNAPSHOT_FILE, installedCatalogVersion, takeSnapshot } from '../../src/pricing/snapshot.js';
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

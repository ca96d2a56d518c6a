import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/index.js';
import { importConfig } from './import-config.js';

describe('import config', () => {
  it('without --config is exactly what the config loader gives without a file', async () => {
    for (const db of [undefined, 'x/ledger.db', ':memory:']) {
      const full = loadConfig({ env: {}, overrides: { db } });
      expect(await importConfig({ db })).toEqual({ storage: full.storage, pricing: full.pricing, import: full.import, rules: { budgets: full.rules.budgets } });
    }
  });

  it('refuses an empty --config, as every command does, rather than import on the defaults', async () => {
    await expect(importConfig({ config: '' })).rejects.toThrow('--config must not be empty');
  });

  it('with --config reads the file', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'tollgate-import-config-')), 'tollgate.yaml');
    writeFileSync(file, 'import:\n  user: ana\n  team: core\nstorage:\n  postgres: postgres://127.0.0.1/x\n');
    expect(await importConfig({ config: file })).toMatchObject({ import: { user: 'ana', team: 'core' }, storage: { kind: 'postgres', url: 'postgres://127.0.0.1/x' } });
  });
});

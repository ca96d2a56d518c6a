import { describe, expect, it } from 'vitest';
import { configFile } from '../config/testing.js';
import { loadCliConfig, storageSpec } from './context.js';
import { UsageError } from './output.js';

describe('loadCliConfig', () => {
  it('refuses an empty --host, which would listen on every interface', () => {
    expect(() => loadCliConfig({ host: '' })).toThrow('--host must not be empty');
    expect(loadCliConfig({ host: '0.0.0.0' }).server.host).toBe('0.0.0.0');
  });

  it('takes only digits for --port: an empty one is not port 0', () => {
    for (const bad of ['', ' ', '0x2000', '1e3', '95.5', '-1', '65536']) expect(() => loadCliConfig({ port: bad }), bad).toThrow(`--port must be a number from 0 to 65535, not "${bad}"`);
    expect(loadCliConfig({ port: '0' }).server.port).toBe(0);
    expect(loadCliConfig({ port: '9000' }).server.port).toBe(9000);
  });

  it('refuses an empty --db rather than opening the working directory', () => {
    expect(() => loadCliConfig({ db: '' })).toThrow('--db must not be empty');
  });

  it('refuses an empty --config rather than running on the defaults, the file’s budgets and providers gone', () => {
    for (const bad of ['', ' ']) expect(() => loadCliConfig({ config: bad }), JSON.stringify(bad)).toThrow(new UsageError('--config must not be empty (leave it out for the built-in defaults)'));
  });
});

describe('storageSpec', () => {
  it('carries the Postgres limits to what reopens storage from it (the writer thread, the anomaly worker)', () => {
    const config = loadCliConfig({ config: configFile('storage:\n  postgres: postgres://127.0.0.1/x\n  query_timeout_ms: 5000\n') });
    expect(storageSpec(config)).toEqual({ kind: 'postgres', url: 'postgres://127.0.0.1/x', timeouts: { connectTimeoutMs: 10_000, queryTimeoutMs: 5000, reportTimeoutMs: 300_000 } });
  });
});

import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/cli/program.js';
import { loadCliConfig, storageSpec } from '../../src/cli/context.js';
import { configFile } from '../../src/config/testing.js';
import { openStorage } from '../../src/storage/open.js';
import { PgProxy } from '../../src/storage/testing/pg-proxy.js';
import { dropSchemas } from '../../src/storage/testing/postgres.js';
import { type Harness, startHarness } from '../support/harness.js';

// storage.*_timeout_ms as the config file sets them, through to the pool: the limits here are far
// below the defaults (30 s a query, 5 min a report's), which no answer below could wait out.
const schema = `tg_pg_limits_${process.pid}_${Date.now() % 100000}`;
const proxy = new PgProxy();
let h: Harness;

beforeAll(async () => {
  await proxy.listen();
  const config = loadCliConfig({ config: configFile(`storage:\n  postgres: ${proxy.url}\n  query_timeout_ms: 300\n  report_timeout_ms: 400\n`) });
  const spec = storageSpec(config);
  if (spec.kind !== 'postgres') throw new Error('expected Postgres');
  h = await startHarness({ storage: () => openStorage({ ...spec, schema }) });
});
afterAll(async () => {
  proxy.resume();
  await h?.close();
  await proxy.cut();
  await dropSchemas([schema]);
});

/** Gives up after 5 s: past the limits set above, far short of the defaults. */
async function admin(path: string) {
  const res = await request(`${h.url}/admin/v1${path}`, { headers: { authorization: 'Bearer admin-secret' }, signal: AbortSignal.timeout(5000) });
  return { status: res.statusCode, body: (await res.body.json()) as { error?: { code: string } } };
}

describe('Postgres limits set in the config file', () => {
  it('fail a query and a report on a hung Postgres after their configured limits: 503 storage_unavailable', async () => {
    // Both on pooled connections, so that the query's own limit is what ends the wait (a new one waits to connect).
    expect((await admin('/keys')).status).toBe(200);
    expect((await admin('/report?since=1h')).status).toBe(200);
    proxy.hang();
    for (const path of ['/keys', '/report?since=1h']) {
      const r = await admin(path);
      expect({ path, status: r.status, code: r.body.error?.code }).toEqual({ path, status: 503, code: 'storage_unavailable' });
    }
  });
});

describe('a bad Postgres limit', () => {
  it('stops serve and fails check alike, naming the setting and its line', async () => {
    const path = configFile('storage:\n  postgres: postgres://127.0.0.1:1/none\n  query_timeout_ms: 30\n');
    const said: Record<string, { code: number; err: string }> = {};
    for (const command of ['serve', 'check']) {
      let err = '';
      const code = await run([command, '--config', path, '--port', '0'], { out: () => undefined, err: (t) => void (err += t) });
      said[command] = { code, err };
    }
    expect(said.serve).toEqual({ code: 2, err: `tollgate: config ${path}:\n  storage.query_timeout_ms (line 3): must be at least 100 (milliseconds: 30 s is 30000)\n` });
    expect(said.check).toEqual(said.serve);
  });
});

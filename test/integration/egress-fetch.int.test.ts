import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchThroughProxy } from '../../src/egress/fetch-proxy.js';
import { pushRows } from '../../src/importers/push.js';
import { callAdmin } from '../../src/cli/admin-client.js';
import { sampleRow } from '../../src/storage/testing/rows.js';
import { type FakeProxy, startFakeProxy } from '../support/fake-proxy.js';
import { type Harness, startHarness } from '../support/harness.js';

// Node 20's fetch follows no proxy variable by itself: alert webhooks, `import --push` and the CLI's admin
// calls go through the proxy once fetchThroughProxy has run (it sets the process's global dispatcher,
// hence a file of its own).
describe('fetch through the proxy the environment names', () => {
  let proxy: FakeProxy;
  let h: Harness;
  beforeAll(async () => {
    proxy = await startFakeProxy({ hosts: { 'central.test': '127.0.0.1' } });
    h = await startHarness();
    await fetchThroughProxy({ HTTP_PROXY: proxy.url });
  });
  afterAll(async () => {
    await h.close();
    await proxy.close();
  });

  it('pushes imported rows to a central Tollgate the proxy alone can reach', async () => {
    const port = new URL(h.url).port;
    const rows = [sampleRow({ id: 'push-through-proxy-1', source: 'claude-code' }), sampleRow({ id: 'push-through-proxy-2', source: 'claude-code' })];
    expect(await pushRows(rows, [], { url: `http://central.test:${port}`, token: 'admin-secret', tries: 1 })).toBe(2);
    expect(proxy.seen.map((s) => [s.method, s.target])).toEqual([['CONNECT', `central.test:${port}`]]);
    expect((await h.row('push-through-proxy-1')).source).toBe('claude-code');
  });

  it('still calls a gateway on loopback directly', async () => {
    proxy.seen.length = 0;
    expect(await callAdmin({ url: h.url, path: '/admin/v1/keys', bearer: 'admin-secret' })).toBeDefined();
    expect(proxy.seen).toEqual([]);
  });
});

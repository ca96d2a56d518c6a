import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { StorageUnavailableError } from '../core/errors.js';
import { silentLogger } from '../core/logger.js';
import { KeyResolver } from '../identity/key-resolver.js';
import type { Storage } from '../storage/ports.js';
import { openSqlite } from '../storage/sqlite/sqlite-storage.js';
import { createHttpServer } from './http-server.js';

const TOKEN = 'adm-token';
let server: Server | undefined;
let storage: Storage | undefined;

afterEach(async () => {
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  await storage?.close();
});

async function start(flush: () => Promise<void>, s: Storage): Promise<string> {
  storage = s;
  const http = createHttpServer({
    gateway: (_req, res) => Promise.resolve(void res.writeHead(404).end()),
    admin: { storage: s, keys: new KeyResolver(s.keys), token: TOKEN, flush },
    ready: () => Promise.resolve(true),
    log: silentLogger,
  });
  server = http;
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(http.address() as AddressInfo).port}/admin/v1`;
}

const get = (url: string) => fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });

describe('admin reads while storage is down', () => {
  it('answer 503 storage_unavailable with retry-after when the ledger cannot be brought up to date, not a 500', async () => {
    const base = await start(() => Promise.reject(new StorageUnavailableError('ledger: storage is failing; rows stay in the spool')), openSqlite(':memory:'));
    for (const path of ['/report?since=1d', '/export?since=1d', '/explain?from=last-week&to=this-week']) {
      const res = await get(base + path);
      expect(res.status, path).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('storage_unavailable');
    }
  });

  it('answer 503 when a query fails for want of the database (Postgres connection lost, database renamed)', async () => {
    const s = openSqlite(':memory:');
    const lost = Object.assign(new Error('database "tollgate" does not exist'), { code: '3D000' });
    const down: Storage = { ...s, ledger: { ...s.ledger, aggregate: () => Promise.reject(lost) } };
    const base = await start(() => Promise.resolve(), down);
    const res = await get(`${base}/report?since=1d`);
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('storage_unavailable');
  });
});

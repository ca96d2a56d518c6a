import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KeyResolver } from '../../identity/key-resolver.js';
import type { Storage } from '../../storage/ports.js';
import { type AdminDeps, handleAdmin } from '../admin.js';

/** The admin API alone over `storage`, token `adm`, on a free port: `base` is its /admin/v1 URL. */
export async function serveAdmin(storage: Storage, more: Partial<AdminDeps> = {}): Promise<{ base: string; auth: { headers: Record<string, string> }; close: () => void }> {
  const deps = { storage, keys: new KeyResolver(storage.keys), token: 'adm', flush: () => Promise.resolve(), ...more };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    void handleAdmin(deps, req, res, url.pathname, url.searchParams);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}/admin/v1`, auth: { headers: { authorization: 'Bearer adm' } }, close: () => server.close() };
}

import { brotliCompressSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { toJsonLine } from '../reports/export.js';
import { openSqlite } from '../storage/sqlite/sqlite-storage.js';
import { sampleRow } from '../storage/testing/rows.js';
import { serveAdmin } from './testing/admin-server.js';

describe('admin API request bodies with a Content-Encoding', () => {
  it('are decoded as the API routes decode them, and refused with 400 or 415 when they cannot be', async () => {
    const storage = openSqlite(':memory:');
    const admin = await serveAdmin(storage);
    try {
      const post = async (path: string, body: Buffer | string, encoding: string) => {
        const r = await fetch(`${admin.base}${path}`, { method: 'POST', body, headers: { ...admin.auth.headers, 'content-type': path === '/ledger/import' ? 'application/x-ndjson' : 'application/json', 'content-encoding': encoding } });
        return { status: r.status, json: (await r.json()) as { user?: string; written?: number; error?: { code: string; message: string } } };
      };
      const gz = await post('/keys', gzipSync('{"user":"gz","team":"t"}'), 'gzip');
      expect(gz.status).toBe(201);
      expect(gz.json.user).toBe('gz');
      expect((await post('/keys', brotliCompressSync('{"user":"br","team":"t"}'), 'br')).status).toBe(201);
      // Plain text labelled br was taken as it came; now it is what it says it is, or refused.
      const mislabelled = await post('/keys', '{"user":"plain","team":"t"}', 'br');
      expect(mislabelled.status).toBe(400);
      expect(mislabelled.json.error).toMatchObject({ code: 'invalid_request', message: expect.stringMatching(/not valid br data/) as unknown });
      const unknown = await post('/keys', '{"user":"x","team":"t"}', 'compress');
      expect(unknown.status).toBe(415);
      expect(unknown.json.error?.code).toBe('unsupported_encoding');
      expect((await storage.keys.list({ includeRevoked: true })).map((k) => k.user).sort()).toEqual(['br', 'gz']);

      const imported = await post('/ledger/import', gzipSync(toJsonLine(sampleRow({ id: 'zipped' }))), 'gzip');
      expect(imported).toMatchObject({ status: 200, json: { written: 1 } });
      expect(await storage.ledger.get('zipped')).toBeDefined();
    } finally {
      admin.close();
      await storage.close();
    }
  });
});

describe('admin API values it used to take without a word', () => {
  it('refuses include_revoked that is not true or false, a source that is no name, and a remove that is no id', async () => {
    const storage = openSqlite(':memory:');
    const admin = await serveAdmin(storage);
    try {
      const keys = await fetch(`${admin.base}/keys?include_revoked=maybe`, { headers: admin.auth.headers });
      expect(keys.status).toBe(400);
      expect(((await keys.json()) as { error: { message: string } }).error.message).toBe('include_revoked must be true or false, not "maybe"');
      expect((await fetch(`${admin.base}/keys?include_revoked=true`, { headers: admin.auth.headers })).status).toBe(200);
      const post = async (body: string) => {
        const r = await fetch(`${admin.base}/ledger/import`, { method: 'POST', body, headers: { ...admin.auth.headers, 'content-type': 'application/x-ndjson' } });
        return { status: r.status, message: ((await r.json()) as { error?: { message: string } }).error?.message };
      };
      const line = (source: string) => toJsonLine({ ...sampleRow({ id: `s-${source.length}` }), source });
      expect(await post(line('gateway\nx'))).toEqual({ status: 400, message: expect.stringMatching(/^line 1: source must be a short lowercase name/) as unknown });
      expect(await post(line('<script>'))).toMatchObject({ status: 400 });
      expect(await post(line('team-importer.v2'))).toMatchObject({ status: 200 });
      expect(await post('{"remove":{"id":"x"}}\n')).toEqual({ status: 400, message: 'line 1: remove must be the id (a non-empty string) of the row to remove' });
    } finally {
      admin.close();
      await storage.close();
    }
  });
});

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
        const r = await fetch(`${admin.base}${path}`, { method: 'POST', body, headers: { ...admin.auth.headers, 'content-type': 'application/json', 'content-encoding': encoding } });
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

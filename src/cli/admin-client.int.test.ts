import { describe, expect, it } from 'vitest';
import { openSqlite } from '../storage/sqlite/sqlite-storage.js';
import { serveAdmin } from '../server/testing/admin-server.js';
import { callAdmin } from './admin-client.js';
import { CommandError } from './output.js';

describe('callAdmin with a wrong admin token', () => {
  it('says the gateway refused TOLLGATE_ADMIN_TOKEN, not to send one, as the gateway words it for a request without any', async () => {
    const storage = openSqlite(':memory:');
    const admin = await serveAdmin(storage);
    const url = admin.base.replace(/\/admin\/v1$/, '');
    try {
      await expect(callAdmin({ url, path: '/admin/v1/keys', bearer: 'not-the-token' })).rejects.toThrow(
        new CommandError(`the gateway at ${url} refused TOLLGATE_ADMIN_TOKEN: it is not the token that gateway was started with`),
      );
      // The right one is taken; a refusal of another kind keeps the gateway's message.
      expect(await callAdmin({ url, path: '/admin/v1/keys', bearer: 'adm' })).toEqual({ data: [] });
      await expect(callAdmin({ url, path: '/admin/v1/keys/key_nope', method: 'DELETE', bearer: 'adm' })).rejects.toThrow(new CommandError('No key key_nope.'));
    } finally {
      admin.close();
      await storage.close();
    }
  });
});

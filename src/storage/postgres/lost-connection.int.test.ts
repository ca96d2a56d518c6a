import { type Server, type Socket, connect, createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_PG_URL, dropSchemas } from '../testing/postgres.js';
import { sampleRow } from '../testing/rows.js';
import { openPostgres } from './postgres-storage.js';

const schema = `tg_lost_conn_${process.pid}_${Date.now() % 100000}`;
/** The test Postgres, reached through the proxy below: its own server, database and user, so that the schema is dropped where it was made. */
const target = new URL(TEST_PG_URL);

/** A proxy to Postgres that drops a connection the moment it carries a BEGIN, once armed. */
let armed = false;
let proxy: Server;
const sockets = new Set<Socket>();

beforeAll(async () => {
  proxy = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.on('data', (chunk: Buffer) => {
      if (armed && chunk.includes('BEGIN')) {
        armed = false;
        client.destroy();
        upstream.destroy();
      } else upstream.write(chunk);
    });
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((ok) => proxy.listen(0, '127.0.0.1', ok));
});

/** TEST_PG_URL with the proxy's address in place of the server's. */
function proxied(port: number): string {
  const u = new URL(TEST_PG_URL);
  u.hostname = '127.0.0.1';
  u.port = String(port);
  return u.toString();
}

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((ok) => proxy.close(() => ok()));
  await dropSchemas([schema]);
});

describe('Postgres connection lost inside a transaction', () => {
  it('fails the insert, which a retry then commits, and raises no uncaught exception', async () => {
    const port = (proxy.address() as { port: number }).port;
    const s = await openPostgres({ url: proxied(port), schema, maxConnections: 2 });
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown): void => void uncaught.push(err);
    process.on('uncaughtException', onUncaught);
    try {
      const row = sampleRow({ id: 'lost-conn-1' });
      armed = true;
      await expect(s.ledger.insert([row])).rejects.toThrow(/Connection terminated/);
      await new Promise((ok) => setTimeout(ok, 50));
      expect(uncaught).toEqual([]);
      expect(await s.ledger.insert([row])).toBe(1);
      expect(await s.ledger.get('lost-conn-1')).toEqual(row);
    } finally {
      process.off('uncaughtException', onUncaught);
      await s.close();
    }
  });
});

import { TcpProxy } from './tcp-proxy.js';
import { TEST_PG_URL } from './postgres.js';

const target = new URL(TEST_PG_URL);

/** A TcpProxy in front of the test Postgres. */
export class PgProxy extends TcpProxy {
  constructor() {
    super({ host: target.hostname, port: Number(target.port || 5432) });
  }

  /** A URL to the test database through the proxy. */
  get url(): string {
    const u = new URL(target.href);
    u.host = `127.0.0.1:${this.port}`;
    return u.href;
  }
}

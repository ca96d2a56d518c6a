import { type Server, type Socket, connect, createServer } from 'node:net';

/**
 * Forwards TCP connections to a service (Postgres, Redis) until cut, so that a test can take the
 * service away from the gateway without stopping it for anyone else. `listen` again opens the
 * same port, and the service is back.
 */
export class TcpProxy {
  /** The port it listens on: 0 until the first `listen` (which takes one the OS hands out), then kept. */
  port = 0;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly target: { host: string; port: number };

  constructor(target: { host: string; port: number }) {
    this.target = target;
  }

  async listen(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((ok) => server.listen(this.port, '127.0.0.1', ok));
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  get listening(): boolean {
    return this.server?.listening ?? false;
  }

  /** Stops listening and drops every connection: clients see the service gone (connection refused). */
  async cut(): Promise<void> {
    if (!this.listening) return;
    const closed = new Promise<void>((ok) => this.server!.close(() => ok()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }
}

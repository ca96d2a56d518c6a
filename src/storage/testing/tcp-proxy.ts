import { type Server, type Socket, connect, createServer } from 'node:net';

/**
 * A TCP proxy in front of a service (Postgres, Redis), for outage tests: it forwards until told
 * otherwise, then `hang`s (holds every byte either way, connections left open, new ones
 * accepted and held too, as a frozen server or a black-holed network does) or is `cut`
 * (every connection closed and new ones refused). `resume` forwards again what was held;
 * `listen` again after a cut opens the same port.
 */
export class TcpProxy {
  port = 0;
  private server: Server | undefined;
  private hung = false;
  private trigger: { text: string; then: 'hang' | 'cut' } | undefined;
  private readonly pipes = new Set<{ client: Socket; upstream: Socket; held: [Socket, Buffer][] }>();
  private readonly target: { host: string; port: number };

  constructor(target: { host: string; port: number }) {
    this.target = target;
  }

  get listening(): boolean {
    return this.server?.listening ?? false;
  }

  async listen(): Promise<void> {
    const server = createServer((client) => this.accept(client));
    await new Promise<void>((ok) => server.listen(this.port, '127.0.0.1', ok));
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  /** Stops forwarding, both ways, on every connection and on those opened from now on. */
  hang(): void {
    this.hung = true;
  }

  /** Hangs, or is cut, once a client sends a chunk that contains `text` (that chunk not forwarded). */
  whenSent(text: string, then: 'hang' | 'cut'): void {
    this.trigger = { text, then };
  }

  /** Forwards again, what was held first. */
  resume(): void {
    this.hung = false;
    this.trigger = undefined;
    for (const p of this.pipes) for (const [to, chunk] of p.held.splice(0)) to.write(chunk);
  }

  /** Closes every connection and stops listening: connections are refused until `listen`. */
  async cut(): Promise<void> {
    this.hung = false;
    this.trigger = undefined;
    const server = this.server;
    if (!server) return;
    const closed = new Promise<void>((ok) => server.close(() => ok()));
    for (const p of this.pipes) {
      p.client.destroy();
      p.upstream.destroy();
    }
    await closed;
  }

  private accept(client: Socket): void {
    const upstream = connect(this.target.port, this.target.host);
    const pipe = { client, upstream, held: [] as [Socket, Buffer][] };
    this.pipes.add(pipe);
    const forward = (from: Socket, to: Socket, watched: boolean) => {
      from.on('data', (chunk: Buffer) => {
        if (watched && this.trigger && chunk.includes(this.trigger.text)) {
          if (this.trigger.then === 'cut') return void this.cut();
          this.trigger = undefined;
          this.hung = true;
        }
        if (this.hung) pipe.held.push([to, chunk]);
        else to.write(chunk);
      });
      from.on('error', () => undefined);
      from.on('close', () => {
        to.destroy();
        this.pipes.delete(pipe);
      });
    };
    forward(client, upstream, true);
    forward(upstream, client, false);
  }
}

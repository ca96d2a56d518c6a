import { type Server, createServer } from 'node:http';
import { type Socket, connect } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface FakeProxy {
  url: string;
  /** Every request the proxy received: CONNECT targets, and any other method (which it refuses). */
  seen: { method: string; target: string; authorization: string | undefined }[];
  close(): Promise<void>;
}

export interface FakeProxyOptions {
  /** Host names only the proxy resolves (`upstream.test` → `127.0.0.1`): a request that reaches them went through it. */
  hosts?: Record<string, string>;
  /** `user:password` the proxy asks for (407 without them). */
  credentials?: string;
}

/** A forward proxy as corporate networks run them: CONNECT tunnels (RFC 9110 §9.3.6), Basic proxy authentication. */
export async function startFakeProxy(o: FakeProxyOptions = {}): Promise<FakeProxy> {
  const seen: FakeProxy['seen'] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    seen.push({ method: req.method ?? '', target: req.url ?? '', authorization: req.headers['proxy-authorization'] });
    res.writeHead(501).end('only CONNECT');
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('connect', (req, client: Socket, head: Buffer) => {
    const authorization = req.headers['proxy-authorization'];
    seen.push({ method: 'CONNECT', target: req.url ?? '', authorization });
    client.on('error', () => undefined);
    if (o.credentials && authorization !== `Basic ${Buffer.from(o.credentials).toString('base64')}`) {
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="corp"\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const m = /^(.+):(\d+)$/.exec(req.url ?? '');
    if (!m) return void client.end('HTTP/1.1 400 Bad Request\r\n\r\n');
    const host = o.hosts?.[m[1]!] ?? m[1]!;
    const upstream = connect(Number(m[2]), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n'));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () =>
      new Promise((done) => {
        for (const s of sockets) s.destroy();
        server.close(() => done());
      }),
  };
}

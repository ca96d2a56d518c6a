import { createServer, type Server } from 'node:http';
import { type AddressInfo, type Socket, connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { type Harness, defaultProviders, eventually, startHarness } from '../support/harness.js';

// A client that leaves while the upstream is still answering its handshake: the upstream socket
// opened for it must close too (it stayed open, an fd and a connection each, until shutdown).

// The upstream answers only when the test releases it, after every client has left: timers instead
// (leave at 300 ms, answer at 1.2 s) failed on a busy machine, a client leaving before its handshake
// had even reached the upstream.
const ANSWER_AFTER_LEAVING_MS = 300;

/** An upstream that holds every WebSocket handshake until released, and counts its open connections. */
async function slowUpstream(): Promise<{ url: string; open: Set<Socket>; received: () => number; accepted: () => number; release: () => void; close: () => Promise<void> }> {
  const wss = new WebSocketServer({ noServer: true });
  const open = new Set<Socket>();
  const held: (() => void)[] = [];
  let released = false;
  let accepted = 0;
  const server: Server = createServer((_req, res) => res.writeHead(404).end());
  server.on('connection', (s) => {
    open.add(s);
    s.on('close', () => open.delete(s));
  });
  server.on('upgrade', (req, socket, head) => {
    const accept = () => {
      accepted++;
      wss.handleUpgrade(req, socket, head, (ws) => ws.on('error', () => undefined));
    };
    if (released) accept();
    else held.push(accept);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    open,
    received: () => held.length + accepted,
    accepted: () => accepted,
    release: () => {
      released = true;
      for (const accept of held.splice(0)) accept();
    },
    close: async () => {
      for (const s of open) s.destroy();
      wss.close();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** A handshake written by hand, to be half-closed (FIN) later, as a client that gives up might. */
function handshakeByHand(url: string, key: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  const s = connect(Number(port), hostname);
  s.on('error', () => undefined);
  s.resume();
  return new Promise((resolve) => {
    s.once('connect', () => {
      s.write(['GET /v1/responses HTTP/1.1', `Host: ${hostname}`, 'Upgrade: websocket', 'Connection: Upgrade', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version: 13', `Authorization: Bearer ${key}`, '', ''].join('\r\n'));
      resolve(s);
    });
  });
}

describe('a client that leaves during the WebSocket handshake', () => {
  let up: Awaited<ReturnType<typeof slowUpstream>>;
  let h: Harness;
  beforeAll(async () => {
    up = await slowUpstream();
    h = await startHarness({ providers: () => defaultProviders(up.url) });
  });
  afterAll(async () => {
    await h.close();
    await up.close();
  });

  it('leaves no socket open to the upstream, whether it closed or half-closed, and each is recorded as client_aborted', async () => {
    const n = 8;
    const clients = Array.from({ length: n }, () => {
      const ws = new WebSocket(`${h.url.replace(/^http/, 'ws')}/v1/responses`, { headers: { authorization: `Bearer ${h.key.key}` } });
      ws.on('error', () => undefined);
      return ws;
    });
    const raw = await Promise.all(Array.from({ length: n }, () => handshakeByHand(h.url, h.key.key)));
    // Every handshake reaches the upstream, the clients leave, and only then does the upstream answer.
    await eventually(() => expect(up.received()).toBe(2 * n), 5000);
    for (const c of clients) c.terminate();
    for (const s of raw) s.end();
    await new Promise((r) => setTimeout(r, ANSWER_AFTER_LEAVING_MS));
    up.release();
    expect(up.accepted()).toBe(2 * n);
    await eventually(() => expect(up.open.size).toBe(0), 3000);
    // The gateway let go of the clients' sockets too.
    await eventually(() => expect(raw.filter((s) => !s.destroyed)).toHaveLength(0));
    const rows = await eventually(async () => {
      const r = await h.rows();
      expect(r).toHaveLength(2 * n);
      return r;
    });
    for (const r of rows) expect(r).toMatchObject({ api: 'openai.responses', outcome: 'client_aborted', errorType: 'client_disconnected' });
    for (const c of clients) expect(c.readyState).toBe(WebSocket.CLOSED);
  });
});

import type { IncomingMessage, Server } from 'node:http';
import { Server as TlsServer } from 'node:tls';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/** Connection options that only ask for the upgrade, dropped when the request is served as plain HTTP. */
const UPGRADE_TOKENS = new Set(['upgrade', 'http2-settings']);

/**
 * Serves a request that asked for an upgrade other than a WebSocket (`curl --http2` asks for
 * h2c on every request) as the plain HTTP/1.1 request it also is, as a server without an
 * `upgrade` listener would: its head is written again without the upgrade headers, put back in
 * front of the bytes that followed, and the socket handed to the server as a new connection.
 * Node decides upgrade or not by whether any listener exists, not by the protocol asked for.
 */
export function serveAsPlainHttp(server: Server | TlsServer, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  const lines = [`${req.method ?? 'GET'} ${req.url ?? '/'} HTTP/${req.httpVersion}`];
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const k = name.toLowerCase();
    if (k === 'upgrade' || k === 'http2-settings') continue;
    if (k === 'connection') {
      const kept = raw[i + 1]!.split(',').map((t) => t.trim()).filter((t) => t && !UPGRADE_TOKENS.has(t.toLowerCase()));
      if (kept.length > 0) lines.push(`${name}: ${kept.join(', ')}`);
      continue;
    }
    lines.push(`${name}: ${raw[i + 1]}`);
  }
  socket.unshift(Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), head]));
  // An HTTPS server reads HTTP from the socket its TLS layer hands over ('secureConnection'); 'connection' would start a handshake inside the TLS one.
  server.emit(server instanceof TlsServer ? 'secureConnection' : 'connection', socket as Socket);
}

/** Whether an upgrade request asks for a WebSocket (RFC 6455 §4.1). */
export function isWebSocketUpgrade(req: IncomingMessage): boolean {
  return req.headers.upgrade?.trim().toLowerCase() === 'websocket';
}

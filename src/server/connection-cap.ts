import type { Server } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { Server as TlsServer } from 'node:tls';
import { newRequestId } from '../core/ids.js';
import { type Logger, RepeatedFailure } from '../core/logger.js';
import type { GatewayMetrics } from '../metrics/gateway-metrics.js';

/** Connections over the cap being answered at once; past them Node closes a new one unanswered as it is accepted. */
export const REFUSALS_AT_ONCE = 256;

/** How long a refused connection is given to read its answer and close, from the moment it came. */
export const REFUSAL_LINGER_MS = 2000;

const OVERLOADED_BODY = JSON.stringify({
  error: { type: 'overloaded', code: 'too_many_connections', message: 'Tollgate has as many connections open as it takes (server.max_connections): retry shortly.' },
});
const OVERLOADED_HEAD = [
  'HTTP/1.1 503 Service Unavailable',
  'content-type: application/json',
  `content-length: ${Buffer.byteLength(OVERLOADED_BODY)}`,
  'connection: close',
  'retry-after: 1',
].join('\r\n');

/**
 * At most `cap` client connections are served at once (`server.max_connections`). One more is
 * answered a 503 as it comes, written before any of it is read and without parsing it, then
 * closed: clients and load balancers see a busy server to retry rather than a reset. Said in the
 * log at most every 30 seconds (each line counting those refused since the last), and counted in
 * the metrics. The sockets being refused are bounded too: each is destroyed within
 * REFUSAL_LINGER_MS whatever its client does, and past REFUSALS_AT_ONCE of them Node closes a new
 * connection as it is accepted, unanswered (`drop`), so a flood cannot take more descriptors.
 */
export function capConnections(server: Server | HttpsServer, cap: number, o: { log: Logger; metrics?: GatewayMetrics | undefined }): void {
  // Node's HTTP layer reads a socket handed to it by this event: over TLS, once its handshake is done.
  const event = server instanceof TlsServer ? 'secureConnection' : 'connection';
  const serve = server.listeners(event) as ((socket: Socket) => void)[];
  server.removeAllListeners(event);
  let open = 0;
  // A socket handed over again (a request asking for an upgrade served as plain HTTP) is counted already.
  const counted = new WeakSet<Socket>();
  const refused = new RepeatedFailure(o.log);
  server.on(event, (socket: Socket) => {
    if (!counted.has(socket)) {
      if (open >= cap) {
        o.metrics?.connectionRefused();
        const line = `connection refused: ${cap} connections are open, as many as server.max_connections allows; answered 503`;
        refused.failed((log, unlogged) => log.warn(line, { from: socket.remoteAddress, ...(unlogged > 0 ? { unlogged_since_last: unlogged } : {}) }));
        return answerOverloaded(socket);
      }
      counted.add(socket);
      open++;
      socket.once('close', () => open--);
    }
    for (const listener of serve) listener.call(server, socket);
  });
  server.maxConnections = cap + REFUSALS_AT_ONCE;
  const dropped = new RepeatedFailure(o.log);
  server.on('drop', (from?: { remoteAddress?: string }) => {
    o.metrics?.connectionRefused();
    const line = `connection closed unanswered: ${cap} connections are open (server.max_connections) and ${REFUSALS_AT_ONCE} more are being answered 503`;
    dropped.failed((log, unlogged) => log.warn(line, { from: from?.remoteAddress, ...(unlogged > 0 ? { unlogged_since_last: unlogged } : {}) }));
  });
}

/** The 503, written at once; the socket closes once its client closes its side too, or is destroyed REFUSAL_LINGER_MS after it came. */
export function answerOverloaded(socket: Socket): void {
  const timer = setTimeout(() => socket.destroy(), REFUSAL_LINGER_MS);
  socket.once('close', () => clearTimeout(timer));
  socket.on('error', () => socket.destroy());
  // What the client sends is read and dropped, unparsed: a socket closed with bytes unread sends a reset, which can
  // reach the client before the answer does and make it look like the very failure this answer is there to avoid.
  socket.resume();
  socket.end(`${OVERLOADED_HEAD}\r\nx-tollgate-request-id: ${newRequestId()}\r\n\r\n${OVERLOADED_BODY}`);
}

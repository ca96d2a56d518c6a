import type { Server } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { Server as TlsServer } from 'node:tls';

/**
 * What closes, at shutdown, the client connections over which not a byte has come. Node's
 * `closeIdleConnections` leaves a connection that is still to send its first request (it counts
 * it as one whose headers are on their way), so `server.close()` waited the whole drain time for
 * it with no request in flight. Fetch-based clients (the official SDKs, Claude Code) open such a
 * connection as soon as a stream they were reading is aborted.
 */
export function unusedConnections(server: Server | HttpsServer): () => void {
  // A TLS socket counts the bytes it decrypted: none while it waits for its first request.
  const event = server instanceof TlsServer ? 'secureConnection' : 'connection';
  const open = new Set<Socket>();
  server.on(event, (socket: Socket) => {
    if (open.has(socket)) return;
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  });
  return () => {
    for (const socket of open) if (socket.bytesRead === 0) socket.destroy();
  };
}

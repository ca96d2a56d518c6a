import { type Server, createServer } from 'node:net';

/** Listens as the gateway does; rejects with listen's own error (EADDRINUSE, EADDRNOTAVAIL, ENOTFOUND). */
export function listenOn(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((ok, fail) => {
    // Left attached once listening, as it always was: a later 'error' settles nothing, and is not unhandled.
    server.once('error', fail);
    server.listen(port, host, () => ok());
  });
}

/** Listens on `host:port` as `serve` would, and lets go at once (`tollgate check`). */
export async function tryListen(port: number, host: string): Promise<void> {
  const server = createServer();
  await listenOn(server, port, host);
  await new Promise<void>((ok) => server.close(() => ok()));
}

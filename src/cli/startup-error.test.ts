import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { describeStartupError } from './startup-error.js';

/** The error a real listen gives. */
function listenError(port: number, host: string): Promise<Error> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', resolve);
    server.listen(port, host, () => server.close(() => resolve(new Error('listened'))));
  });
}

describe('startup errors', () => {
  it('tells an address the machine does not have, or a host that does not resolve, in one line', async () => {
    expect(describeStartupError(await listenError(0, '10.255.255.254'))).toMatch(/^tollgate: this machine has no such address to listen on \(listen EADDRNOTAVAIL.*\)\. Pick another with --host \(127\.0\.0\.1 or 0\.0\.0\.0\)\.\n$/);
    expect(describeStartupError(await listenError(0, 'no-such-host.invalid'))).toBe('tollgate: the host name "no-such-host.invalid" does not resolve: check --host, or the addresses in the config.\n');
  });

  it('tells a port in use, and leaves real bugs alone', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    expect(describeStartupError(await listenError(port, '127.0.0.1'))).toMatch(/^tollgate: the port is already in use/);
    server.close();
    expect(describeStartupError(new TypeError('x is undefined'))).toBeUndefined();
  });
});

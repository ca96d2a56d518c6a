import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../core/logger.js';
import type { GatewayDeps } from '../proxy.js';
import { onDemandSocketGateway } from './on-demand.js';
import type { SocketGateway } from './sockets.js';

const deps = { log: silentLogger } as unknown as GatewayDeps;
const req = {} as IncomingMessage;

function fakeGateway(calls: string[]): SocketGateway {
  return {
    upgrade: () => void calls.push('upgrade'),
    drain: () => void calls.push('drain'),
    closeAll: () => void calls.push('closeAll'),
  };
}

describe('the WebSocket gateway loaded on demand', () => {
  it('is loaded once, at the first upgrade, and hands it every upgrade', async () => {
    const calls: string[] = [];
    const load = vi.fn(() => Promise.resolve({ socketGateway: () => fakeGateway(calls) }));
    const fresh = onDemandSocketGateway(deps, load);
    expect(load).not.toHaveBeenCalled();
    fresh.upgrade(req, new PassThrough(), Buffer.alloc(0));
    fresh.upgrade(req, new PassThrough(), Buffer.alloc(0));
    await vi.waitFor(() => expect(calls).toEqual(['upgrade', 'upgrade']));
    fresh.upgrade(req, new PassThrough(), Buffer.alloc(0));
    expect(calls).toEqual(['upgrade', 'upgrade', 'upgrade']);
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('passes on a shutdown that began while it loaded, before the upgrade', async () => {
    const calls: string[] = [];
    const g = onDemandSocketGateway(deps, () => Promise.resolve({ socketGateway: () => fakeGateway(calls) }));
    g.upgrade(req, new PassThrough(), Buffer.alloc(0));
    g.drain();
    g.closeAll();
    await vi.waitFor(() => expect(calls).toEqual(['drain', 'closeAll', 'upgrade']));
  });

  it('closes the socket when it cannot be loaded', async () => {
    const socket = new PassThrough();
    const g = onDemandSocketGateway(deps, () => Promise.reject(new Error('missing')));
    g.upgrade(req, socket, Buffer.alloc(0));
    await vi.waitFor(() => expect(socket.destroyed).toBe(true));
  });

  it('costs nothing at shutdown when it never loaded', () => {
    const load = vi.fn(() => Promise.resolve({ socketGateway: () => fakeGateway([]) }));
    const g = onDemandSocketGateway(deps, load);
    g.drain();
    g.closeAll();
    expect(load).not.toHaveBeenCalled();
  });
});

import type { GatewayDeps } from '../proxy.js';
import type { SocketGateway } from './sockets.js';

/**
 * The WebSocket gateway, loaded at the first upgrade: most gateways never see one, and `ws`
 * with the socket sessions is about a megabyte of heap. A shutdown that began meanwhile is
 * passed on before the first upgrade is handled, which then refuses it as a running one would.
 */
export function onDemandSocketGateway(deps: GatewayDeps, load = () => import('./sockets.js')): SocketGateway {
  let ready: SocketGateway | undefined;
  let loading: Promise<SocketGateway> | undefined;
  let draining = false;
  let closedAll = false;
  const start = (): Promise<SocketGateway> =>
    (loading ??= load().then((m) => {
      ready = m.socketGateway(deps);
      if (draining) ready.drain();
      if (closedAll) ready.closeAll();
      return ready;
    }));
  return {
    upgrade(req, socket, head) {
      if (ready) return ready.upgrade(req, socket, head);
      // The client sends no frame before the handshake's answer, so nothing is missed meanwhile.
      start().then(
        (g) => g.upgrade(req, socket, head),
        (err: unknown) => {
          deps.log.error('the WebSocket gateway could not be loaded', { err: String(err) });
          socket.destroy();
        },
      );
    },
    drain() {
      draining = true;
      ready?.drain();
    },
    closeAll() {
      closedAll = true;
      ready?.closeAll();
    },
  };
}

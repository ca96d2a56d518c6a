import type { Duplex } from 'node:stream';
import WebSocket, { type RawData } from 'ws';

/** Bytes sent on and not yet written out, per socket: past the high mark the sending side is paused until they drain. */
const unsent = new WeakMap<WebSocket, number>();
const HIGH_MARK = 1024 * 1024;
/** Sockets corked until the end of this tick. */
const corked = new WeakSet<WebSocket>();

/**
 * Sends a message on, pausing the socket it came from while the other end is slow to take it (no
 * unbounded buffer). The messages of one read (a Response's events often arrive dozens at a time)
 * leave in one write: the socket is corked until the tick ends, rather than one syscall a frame.
 */
export function forward(to: WebSocket, from: WebSocket, data: Buffer, binary: boolean): void {
  if (to.readyState !== WebSocket.OPEN) return;
  // ws keeps its net.Socket as `_socket` (no public accessor); without it a frame is written at once.
  const socket = (to as unknown as { _socket?: Duplex })._socket;
  if (socket !== undefined && !corked.has(to)) {
    corked.add(to);
    socket.cork();
    process.nextTick(() => {
      corked.delete(to);
      socket.uncork();
    });
  }
  const pending = (unsent.get(to) ?? 0) + data.length;
  unsent.set(to, pending);
  if (pending > HIGH_MARK && !from.isPaused) from.pause();
  to.send(data, { binary }, () => {
    const left = (unsent.get(to) ?? 0) - data.length;
    unsent.set(to, left);
    if (left <= HIGH_MARK / 4 && from.isPaused) from.resume();
  });
}

export function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
}

/** Close codes that may be sent in a close frame (RFC 6455 §7.4): others end the socket without one. */
export const sendable = (code: number) => (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);

import type { ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Reply } from './reply.js';
import type { Scenario } from './types.js';

export interface WriteHooks {
  /** Each body write, in order, exactly as handed to the socket. */
  wrote(piece: Buffer): void;
  /** The fake is about to cut the connection on purpose. */
  cut(): void;
  /** Aborted when the server closes, so that no timer outlives it. */
  signal: AbortSignal;
}

type Faults = Pick<Scenario, 'firstByteDelayMs' | 'chunkDelayMs' | 'cutAfterEvents' | 'errorEventAfter' | 'endAfterErrorMs' | 'stallAfterEvents'>;

async function pause(ms: number, res: ServerResponse, signal: AbortSignal): Promise<boolean> {
  try {
    await sleep(ms, undefined, { signal });
  } catch {
    return false;
  }
  return !res.destroyed;
}

function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** Whole bodies by their pieces; cached replies share the pieces array, so each is joined once. */
const joined = new WeakMap<readonly Buffer[], Buffer>();

function joinedBody(pieces: readonly Buffer[]): Buffer {
  let body = joined.get(pieces);
  if (body === undefined) {
    body = pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces);
    joined.set(pieces, body);
  }
  return body;
}

/**
 * Writes a reply. With no delay and no fault the body goes out in one write, which is
 * what benchmarks want; otherwise piece by piece, each flushed on its own when there is
 * a chunk delay so that a client sees the stream arrive.
 */
export async function writeReply(res: ServerResponse, reply: Reply, f: Faults, requestId: string, hooks: WriteHooks): Promise<void> {
  if ((f.firstByteDelayMs ?? 0) > 0 && !(await pause(f.firstByteDelayMs!, res, hooks.signal))) return;
  if (res.destroyed) return;
  res.writeHead(reply.status, reply.headers);
  const delay = f.chunkDelayMs ?? 0;
  if (delay === 0 && f.cutAfterEvents === undefined && f.stallAfterEvents === undefined && (f.errorEventAfter === undefined || !reply.stream)) {
    const body = joinedBody(reply.pieces);
    hooks.wrote(body);
    if (!reply.stream) {
      res.end(body);
      return;
    }
    // end(body) alone would make Node send a content-length; streams stay chunked, as upstream.
    res.cork();
    res.write(body);
    res.end();
    res.uncork();
    return;
  }
  const errorAt = reply.stream && reply.errorEvent !== undefined ? f.errorEventAfter : undefined;
  let corked = delay === 0;
  if (corked) res.cork();
  const uncork = () => {
    if (corked) res.uncork();
    corked = false;
  };
  const n = reply.pieces.length;
  for (let i = 0; i <= n; i++) {
    if (i === f.stallAfterEvents) {
      uncork();
      res.flushHeaders();
      return;
    }
    if (i === f.cutAfterEvents) {
      uncork();
      res.flushHeaders();
      hooks.cut();
      cut(res);
      return;
    }
    if (i === errorAt) {
      const bytes = reply.errorEvent!(i, requestId);
      hooks.wrote(bytes);
      if (f.endAfterErrorMs !== undefined) {
        res.write(bytes);
        uncork();
        if (await pause(f.endAfterErrorMs, res, hooks.signal)) res.end();
        return;
      }
      res.end(bytes);
      uncork();
      return;
    }
    if (i === n) break;
    if (delay > 0 && i > 0 && !(await pause(delay, res, hooks.signal))) return;
    const piece = reply.pieces[i]!;
    hooks.wrote(piece);
    if (!res.write(piece)) {
      uncork();
      await drained(res);
      if (res.destroyed) return;
    }
  }
  res.end();
  uncork();
}

/** Ends the socket after what was written has been flushed, with no final chunk. */
function cut(res: ServerResponse): void {
  const socket = res.socket;
  if (socket === null) {
    res.destroy();
    return;
  }
  socket.end(() => socket.destroy());
}

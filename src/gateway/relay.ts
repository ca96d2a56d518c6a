import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import type { RequestFacts } from '../metering/build-row.js';
import type { Usage, UsageSource } from '../core/usage.js';
import { MAX_BODY_COPY, errorBodyTap, isEventStream, isSuccess } from '../providers/shared/taps.js';
import { streamedErrorStatus } from '../providers/shared/upstream-error.js';
import type { DialectAdapter, RequestInfo, ResponseTap, RouteMatch, UpstreamErrorInfo } from '../providers/types.js';
import { decodingTap, responseCodings } from './encoded-response.js';
import { settle } from './settle.js';
import { HeldOpening, heldStreamTap } from './held-opening.js';
import { type StreamDecoder, decodeStream } from './decode-stream.js';
import { clientResponseHeaders } from './headers.js';
import { AttemptTimeout, type UpstreamRequest, callUpstream, upstreamFailure } from './upstream.js';

export interface RelayArgs {
  agent: Dispatcher;
  upstream: UpstreamRequest;
  res: ServerResponse;
  adapter: DialectAdapter;
  route: RouteMatch;
  info: RequestInfo;
  /** The gateway asked a chat stream for usage the client did not (see RequestRewrite). */
  injectedStreamUsage: boolean;
  facts: RequestFacts;
  /** Input tokens of the request, estimated (undefined without a body): the row's figure when the stream dies before usage arrives. */
  inputEstimate: () => number | undefined;
  started: number;
  /** Records the row; called exactly once, before the response completes. `journaled` runs once the row is in the spool. */
  finish: (journaled?: () => void) => void;
  /** Set by the router: per-attempt timeouts, and which answers are held back for another attempt. */
  attempt?: AttemptControl;
  /** A translated exchange: its own tap, and the client's status and headers (see gateway/translated.ts). */
  respond?: (status: number, headers: Headers) => Responder;
  /** Edits the answer's headers before the client gets them (a Gemini upload URL pointed at the gateway: objects/gemini-uploads.ts). */
  editHeaders?: (status: number, headers: Headers) => void;
}

export interface AttemptControl {
  /** Until the response headers (the agent's own timeout applies as well). */
  firstByteMs?: number;
  /** The whole attempt, body included. */
  requestMs?: number;
  /** True when this answer must not reach the client because another attempt will be made. */
  retry?(status: number, headers: Headers): boolean;
  /**
   * Whether another attempt could follow were this one to fail. Then a 200 stream is held until its
   * output begins (HeldOpening), and an error event before it is asked about as the status it stands for.
   */
  mayRetry?(): boolean;
  /** This answer goes to the client: no attempt follows (the request's body can be let go). */
  delivering?(): void;
}

/** What a translated exchange sends the client instead of the upstream's head and bytes. */
export interface Responder {
  tap: ResponseTap;
  /** Write the head when the upstream's arrives; otherwise just before the first byte (the status may still change). */
  eager: boolean;
  head(): { status: number; headers: OutgoingHttpHeaders };
  /** Answers the client when the upstream's answer broke off before anything of it was sent (a held answer): an error in its own dialect. */
  cut?: () => void;
}

export type Headers = Record<string, string | string[] | undefined>;

/**
 * How a relay ended: the response went to the client (`delivered`, even if cut), or the
 * upstream's error answer was held back for a retry (`held`, with its body), or the
 * client left while it was held (`gone`; the row is recorded).
 */
export type RelayResult =
  /** `waitMs`: a wait the provider's error asked for in its body (Gemini's retryDelay); `restMs`: see UpstreamErrorInfo. */
  | { kind: 'delivered'; status: number; headers: Headers; waitMs?: number; restMs?: number }
  /** `usage`: what a held 200 stream reported before it failed, billed if it is delivered after all. */
  | { kind: 'held'; status: number; headers: Headers; body: Buffer; error: UpstreamErrorInfo | undefined; usage: Usage; usageSource: UsageSource }
  | { kind: 'gone' };

/**
 * Sends the request upstream and streams the answer to the client chunk by chunk as it arrives, while
 * the tap reads usage beside it. Only the bytes that complete the response are held back: the last
 * piece of a sized body, or the end of a chunked one. They go out after the ledger row is journaled,
 * so a client that saw a complete response always has its row. Rejects (with a GatewayError) only
 * when the client got nothing: no answer, or a stream cut while its start was held (another try may serve it).
 */
export function relay(a: RelayArgs): Promise<RelayResult> {
  const { res, facts } = a;
  const rewrites = a.injectedStreamUsage;
  // The body changes: stream usage the gateway asked for is removed, or API URLs point at the gateway.
  const keepLength = !rewrites && a.info.gatewayBase === undefined;
  let tap: ResponseTap | undefined;
  let declared = NaN;
  let sent = 0;
  let held: Buffer | undefined;
  let clientGone = false;
  let responder: Responder | undefined;
  let done = false;
  let draining = false;
  const pending: Buffer[] = [];
  const collect = (b: Buffer) => void pending.push(b);
  let status = 0;
  let upstreamHeaders: Headers = {};
  // An error answer held back for another attempt: its body is kept, never sent.
  let holding = false;
  const kept: Buffer[] = [];
  const ignore = () => undefined;
  let timers: NodeJS.Timeout[] | undefined;
  // A 200 stream's start, held from the client until the first event past its preamble shows whether it is an error to retry.
  let opening: HeldOpening | undefined;
  // A translated answer the upstream compressed although asked for none: decoded before it is translated.
  let decoder: StreamDecoder | undefined;
  let upstreamEnded = false;

  return new Promise<RelayResult>((resolve, reject) => {
    const cleanup = () => {
      if (timers) for (const t of timers) clearTimeout(t);
      res.off('close', onClose);
      decoder?.destroy();
    };
    const writeHead = () => {
      const h = responder!.head();
      facts.status = h.status;
      res.writeHead(h.status, h.headers);
    };
    const emit = (b: Buffer) => {
      if (b.length === 0) return;
      if (!res.headersSent && responder) writeHead();
      if (sent + b.length === declared) {
        held = b;
        sent += b.length;
        return;
      }
      sent += b.length;
      if (!res.write(b) && !draining) {
        draining = true;
        call.pause();
        decoder?.pause();
        res.once('drain', () => {
          draining = false;
          call.resume();
          decoder?.resume();
        });
      }
    };
    const end = (complete: boolean, err?: unknown) => {
      if (done) return;
      // The stream ended (or broke, or the client left) while its start was held: decided on what came.
      if (opening) {
        if (complete) opening.end();
        release(clientGone);
      }
      done = true;
      cleanup();
      if (holding) {
        const m = tap!.finish(complete, ignore);
        if (clientGone) {
          facts.status = status;
          facts.outcome = 'client_aborted';
          facts.errorType = 'client_disconnected';
          a.finish();
          return resolve({ kind: 'gone' });
        }
        return resolve({ kind: 'held', status, headers: upstreamHeaders, body: kept.length === 1 ? kept[0]! : Buffer.concat(kept), error: m.error, usage: m.usage, usageSource: m.usageSource });
      }
      const metered = tap!.finish(complete, complete || !clientGone ? emit : () => undefined);
      settle(a, metered, complete, clientGone, err);
      if (complete) {
        if (!res.headersSent && responder) writeHead();
        // The end waits for the journal (a turn of the event loop at most). Corked, what this
        // turn already wrote leaves with it in one write (end() uncorks fully), as it did unwaited.
        res.cork();
        a.finish(() => res.end(held));
      } else if (!res.headersSent && !clientGone && responder?.cut) {
        // Nothing reached the client yet: it is told so, with the status its row records, not left with a closed socket.
        facts.status = 502;
        a.finish(responder.cut);
      } else if (responder && res.headersSent && !clientGone) {
        // A translated stream: the tap has closed it with the client dialect's error event, which
        // a destroyed socket would throw away. The upstream's own bytes are never ended cleanly.
        a.finish(() => res.end());
      } else {
        a.finish();
        if (!res.destroyed) res.destroy();
      }
      resolve({ kind: 'delivered', status, headers: upstreamHeaders, waitMs: metered.error?.retryAfterMs, restMs: metered.error?.restMs });
    };
    /** The answer goes to the client: its head now (unless `quiet`: the client left), its body as it comes. */
    const deliver = (quiet: boolean) => {
      a.attempt?.delivering?.();
      facts.answered?.();
      facts.status = status;
      const headers = upstreamHeaders;
      a.editHeaders?.(status, headers);
      const reqId = headers['x-request-id'] ?? headers['request-id'];
      facts.upstreamRequestId = typeof reqId === 'string' ? reqId : null;
      if (a.respond) {
        responder = a.respond(status, headers);
        tap = responder.tap;
        const codings = responseCodings(headers['content-encoding']);
        if (codings) decoder = decodeStream(codings, bodyLimit(a, status, headers), decoded);
        if (responder.eager) writeHead();
        return;
      }
      tap = a.adapter.createTap(a.route, { status, contentType: first(headers['content-type']), stream: a.info.stream, injectedStreamUsage: rewrites, requestedModel: a.info.model, gatewayBase: a.info.gatewayBase, madeObject: a.info.madeObject, choices: a.info.choices });
      // Compressed although the gateway asked for no coding: passed on as it came (nothing
      // rewritten, its length kept), read from a decoded copy.
      const codings = responseCodings(headers['content-encoding']);
      if (codings && !tap.readsNothing) tap = decodingTap(tap, codings);
      const sameLength = keepLength || codings !== null;
      facts.liveTap = tap;
      if (quiet) return;
      res.writeHead(status, clientResponseHeaders(headers, sameLength));
      if (sameLength) declared = Number(first(headers['content-length']) ?? NaN);
    };
    const forward = (chunk: Buffer) => {
      if (facts.ttftMs === null && a.info.stream) facts.ttftMs = Math.round(performance.now() - a.started);
      if (decoder) decoder.write(chunk);
      else pass(chunk);
    };
    /** Decides on a stream whose start was held: held back for a retry if it failed before its output and another attempt may fix that, else passed on. */
    const release = (quiet: boolean) => {
      const f = opening!;
      opening = undefined;
      const m = quiet ? undefined : f.read();
      if (m?.error && a.attempt!.retry!(streamedErrorStatus(m.error.type), upstreamHeaders)) {
        // As an error answer held back: kept whole, within the first-byte timer still running from the headers.
        holding = true;
        tap = heldStreamTap(m);
        kept.push(...f.chunks);
        return;
      }
      if (timers) clearTimeout(timers[0]);
      deliver(quiet);
      for (const c of f.chunks) {
        if (quiet) tap!.push(c, ignore);
        else forward(c);
      }
    };
    const call = callUpstream(a.agent, a.upstream, {
      onHeaders(st, headers: Headers) {
        status = st;
        upstreamHeaders = headers;
        if (timers) clearTimeout(timers[0]);
        const ms = a.attempt?.firstByteMs;
        if (a.attempt?.retry?.(st, headers)) {
          holding = true;
          tap = errorBodyTap(st);
          // Nothing reaches the client until the held body ends: it gets the first-byte timeout again, not the idle one.
          if (timers && ms !== undefined) timers[0] = setTimeout(() => call.abort(new AttemptTimeout('first_byte', ms)), ms);
          return;
        }
        if (timers && ms !== undefined && holdsOpening(a, st, headers)) {
          const probe = a.adapter.createTap(a.route, { status: st, contentType: first(headers['content-type']), stream: true, injectedStreamUsage: false, requestedModel: a.info.model });
          opening = new HeldOpening(probe, a.adapter.streamPreamble?.(a.route) ?? NO_PREAMBLE);
          // Held at most first_byte_ms from the headers: a stream slow to begin its output goes on as it is.
          timers[0] = setTimeout(() => (opening ? release(false) : call.abort(new AttemptTimeout('first_byte', ms))), ms);
          return;
        }
        deliver(false);
      },
      onData(chunk) {
        if (holding) {
          // Kept whole (the tap only reads the error), so that it can be sent as it came.
          kept.push(chunk);
          return tap!.push(chunk, ignore);
        }
        if (opening) {
          if (opening.push(chunk)) release(false);
          return;
        }
        forward(chunk);
      },
      onEnd() {
        // Only its preamble came: a stream ended so is cut short (a proxy that closes a failed stream cleanly), and another try may serve it.
        if (opening && !clientGone && opening.endedEarly()) return this.onError(Object.assign(new Error('The stream ended before its output began.'), { code: 'STREAM_ENDED_EARLY' }), true);
        upstreamEnded = true;
        if (decoder) decoder.end();
        else end(true);
      },
      onError(err, afterHeaders) {
        if (afterHeaders && (opening === undefined || clientGone)) return end(false, err);
        cleanup();
        if (!clientGone) return reject(upstreamFailure(err, a.upstream.url));
        // The client left before the upstream answered: nothing was delivered or billed.
        done = true;
        facts.outcome = 'client_aborted';
        facts.errorType = 'client_disconnected';
        a.finish();
        resolve({ kind: 'gone' });
      },
    });
    function pass(chunk: Buffer) {
      // A rewriting tap emits event by event; what one upstream chunk yields goes out in one write.
      tap!.push(chunk, collect);
      if (pending.length === 1) emit(pending[0]!);
      else if (pending.length > 1) emit(Buffer.concat(pending));
      pending.length = 0;
    }
    const decoded = {
      data: pass,
      // All that is wanted was decoded (or the decoded body passed its limit, and the rest is not read).
      end() {
        end(true);
        if (!upstreamEnded) call.abort(new Error('the decoded answer passed its limit'));
      },
      error(err: Error) {
        end(false, err);
        if (!upstreamEnded) call.abort(err);
      },
    };
    function onClose() {
      if (res.writableFinished || done) return;
      clientGone = true;
      call.abort(new Error('client disconnected'));
    }
    res.on('close', onClose);
    const t = a.attempt;
    if (t && (t.firstByteMs !== undefined || t.requestMs !== undefined)) {
      // Index 0 is the first-byte timer (cleared by the headers), 1 the whole-attempt timer.
      timers = [
        setTimeout(() => call.abort(new AttemptTimeout('first_byte', t.firstByteMs!)), t.firstByteMs ?? 2 ** 31 - 1),
        setTimeout(() => call.abort(new AttemptTimeout('request', t.requestMs!)), t.requestMs ?? 2 ** 31 - 1),
      ];
    }
  });
}

const NO_PREAMBLE: ReadonlySet<string> = new Set();

/**
 * Whether a 2xx answer's start is held back until its output begins (AttemptControl.mayRetry): an
 * uncompressed stream of server-sent events, sent as it comes (not translated), that another attempt could replace.
 */
function holdsOpening(a: RelayArgs, status: number, headers: Headers): boolean {
  if (status < 200 || status >= 300 || !a.info.stream || a.respond !== undefined || a.attempt?.mayRetry === undefined || a.attempt.retry === undefined) return false;
  if (!first(headers['content-type'])?.toLowerCase().includes('text/event-stream') || responseCodings(headers['content-encoding']) !== null) return false;
  return a.attempt.mayRetry();
}

/** A body kept whole to be rebuilt is decoded as far as the tap keeps one; a stream is read event by event, each within the SSE parser's limit. */
function bodyLimit(a: RelayArgs, status: number, headers: Headers): number {
  const streamed = isSuccess(status) && isEventStream({ status, contentType: first(headers['content-type']), stream: a.info.stream, injectedStreamUsage: false, requestedModel: '' });
  return streamed ? Infinity : MAX_BODY_COPY;
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

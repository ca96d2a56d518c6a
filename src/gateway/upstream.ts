import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { errors } from '../egress/undici-core.js';
import { type ThroughProxy, upstreamDispatcher } from '../egress/dispatcher.js';
import type { ProxySettings } from '../egress/proxy-settings.js';
import { GatewayError } from '../core/errors.js';
import type { RouteMatch } from '../providers/types.js';

export interface UpstreamTimeouts {
  connectMs: number;
  /** Until the response headers arrive. */
  firstByteMs: number;
  /** Between two body chunks. */
  idleMs: number;
}

/**
 * One keep-alive connection pool per upstream origin, shared by all requests; through the
 * proxy the environment names, when it names one (src/egress).
 */
export function createAgent(t: UpstreamTimeouts, proxies?: ProxySettings): Dispatcher {
  return upstreamDispatcher({
    connect: { timeout: t.connectMs },
    headersTimeout: t.firstByteMs,
    bodyTimeout: t.idleMs,
    keepAliveTimeout: 30_000,
    // No cap per origin: agents hold one long stream each, and a cap would queue them.
    pipelining: 1,
  }, proxies);
}

export interface UpstreamRequest {
  url: string;
  method: RouteMatch['method'];
  headers: Record<string, string>;
  /** Taken (set to undefined) by callUpstream. A stream (a file upload) is sent as it arrives. */
  body: Buffer | Readable | undefined;
}

/** What the relay is told as the upstream answers. Exactly one of onEnd / onError ends it. */
export interface UpstreamListener {
  onHeaders(status: number, headers: Record<string, string | string[] | undefined>): void;
  onData(chunk: Buffer): void;
  onEnd(): void;
  /** `afterHeaders` says whether any of the response had arrived. */
  onError(err: unknown, afterHeaders: boolean): void;
}

export interface UpstreamCall {
  abort(reason: Error): void;
  pause(): void;
  resume(): void;
}

/**
 * Sends a request with undici's dispatch API: the body arrives in callbacks, with no
 * stream object per response, which is the cheapest way through undici.
 */
export function callUpstream(agent: Dispatcher, r: UpstreamRequest, l: UpstreamListener): UpstreamCall {
  let controller: Dispatcher.DispatchController | undefined;
  let pendingAbort: Error | undefined;
  let started = false;
  const url = parsed(r.url);
  const handler: Dispatcher.DispatchHandler = {
    onRequestStart(c) {
      controller = c;
      if (pendingAbort) c.abort(pendingAbort);
    },
    onResponseStart(_c, status, headers) {
      started = true;
      l.onHeaders(status, headers);
    },
    onResponseData(_c, chunk) {
      l.onData(chunk);
    },
    onResponseEnd() {
      l.onEnd();
    },
    onResponseError(_c, err) {
      l.onError(err, started);
    },
  };
  // The body is handed over and dropped from `r`, which the caller may hold for as long as the response streams.
  const sent = r.body;
  r.body = undefined;
  const large = Buffer.isBuffer(sent) && sent.length >= LETGO_MIN_BYTES;
  const headers = large ? { ...r.headers, 'content-length': String(sent.length) } : r.headers;
  // undici takes async iterables as bodies, though its types do not list them.
  const body = large ? (letGoOnceSent(sent) as unknown as Dispatcher.DispatchOptions['body']) : sent;
  agent.dispatch({ origin: url.origin, path: url.path, method: r.method, headers, body }, handler);
  return {
    abort(reason) {
      if (controller) controller.abort(reason);
      else pendingAbort = reason;
    },
    pause: () => controller?.pause(),
    resume: () => controller?.resume(),
  };
}

/** Bodies from this size on are handed over so that they can be let go once sent (see letGoOnceSent). */
const LETGO_MIN_BYTES = 16 * 1024;

/**
 * A body undici does not keep: it holds a Buffer body until the response ends, which for
 * a long stream is a whole prompt (an agent's are hundreds of kilobytes) per open stream.
 * Given as a one-chunk iterable, the buffer is dropped once undici has written it.
 */
function letGoOnceSent(body: Buffer): AsyncIterable<Buffer> {
  let held: Buffer | undefined = body;
  return {
    [Symbol.asyncIterator]: () => ({
      next: () => {
        const value = held;
        held = undefined;
        return Promise.resolve(value === undefined ? { done: true, value: undefined } : { done: false, value });
      },
    }),
  };
}

// Nearly every request goes to one of a few URLs, so parses are cached. URLs with a query
// are not: a query may carry a credential (Gemini's ?key=), which must not outlive its request.
const urls = new Map<string, { origin: string; path: string }>();

function parsed(raw: string): { origin: string; path: string } {
  let hit = urls.get(raw);
  if (hit === undefined) {
    const u = new URL(raw);
    hit = { origin: u.origin, path: u.pathname + u.search };
    if (u.search !== '') return hit;
    if (urls.size >= 1000) urls.clear();
    urls.set(raw, hit);
  }
  return hit;
}

/** A routed attempt ran past its own timeout: until the first byte, or for the whole request. */
export class AttemptTimeout extends Error {
  readonly kind: 'first_byte' | 'request';
  constructor(kind: 'first_byte' | 'request', ms: number) {
    super(`no ${kind === 'first_byte' ? 'response headers' : 'complete response'} within ${ms} ms`);
    this.name = 'AttemptTimeout';
    this.kind = kind;
  }
}

/** Maps a failure before the response headers arrived to a client-facing error. */
export function upstreamFailure(err: unknown, url: string): GatewayError {
  const origin = safeOrigin(url);
  const proxy = (err as Partial<ThroughProxy> | undefined)?.proxy;
  const through = proxy === undefined ? '' : ` through the proxy ${proxy}`;
  if (err instanceof errors.HeadersTimeoutError || err instanceof errors.ConnectTimeoutError || err instanceof AttemptTimeout) {
    return new GatewayError('upstream_timeout', `The upstream ${origin} did not answer in time${through}.`, { cause: err });
  }
  // undici's words when the proxy answers a CONNECT with anything but 200.
  const refused = proxy === undefined ? null : /Proxy response \((\d+)\)/.exec(err instanceof Error ? err.message : '');
  if (refused) {
    const hint = refused[1] === '407' ? ': it asks for credentials (give them in the proxy URL, http://user:password@host:port)' : '';
    return new GatewayError('upstream_unreachable', `The proxy ${proxy} refused to connect to the upstream ${origin} (HTTP ${refused[1]})${hint}.`, { cause: err });
  }
  const code = (err as { code?: string }).code ?? (err as { cause?: { code?: string } }).cause?.code;
  const hint = code === undefined ? '' : (TLS_HINTS.get(code) ?? '');
  return new GatewayError('upstream_unreachable', `Could not reach the upstream ${origin}${through}${code ? ` (${code})` : ''}${hint}.`, { cause: err });
}

/** An untrusted certificate, the usual sign of a company proxy that inspects TLS: what to do about it. */
const UNTRUSTED = ": its certificate is not from an authority this machine trusts; where a proxy inspects TLS, give Node that proxy's authority with NODE_EXTRA_CA_CERTS=/path/to/ca.pem";
const TLS_HINTS = new Map<string, string>([
  ['UNABLE_TO_GET_ISSUER_CERT_LOCALLY', UNTRUSTED],
  ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', UNTRUSTED],
  ['SELF_SIGNED_CERT_IN_CHAIN', UNTRUSTED],
  ['DEPTH_ZERO_SELF_SIGNED_CERT', UNTRUSTED],
  ['CERT_HAS_EXPIRED', ': its certificate has expired'],
  ['ERR_TLS_CERT_ALTNAME_INVALID', ': its certificate is for another host name; check base_url'],
]);

export function isIdleTimeout(err: unknown): boolean {
  return err instanceof errors.BodyTimeoutError;
}

function safeOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'provider';
  }
}

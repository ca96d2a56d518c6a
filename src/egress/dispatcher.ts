import { createRequire } from 'node:module';
import type * as Undici from 'undici';
import { Agent } from './undici-core.js';
import { type ProxySettings, type ProxyUrl, proxyFor } from './proxy-settings.js';

// Loaded as undici-core loads its parts: without the package's index and its 3 MB of heap.
const require = createRequire(import.meta.url);
const DispatcherBase = require('undici/lib/dispatcher/dispatcher.js') as typeof Undici.Dispatcher;

/** An error raised on the way through a proxy carries the proxy (its password hidden), for the client's message. */
export interface ThroughProxy {
  proxy: string;
}

/**
 * A dispatcher that sends each origin the way the environment says: through its proxy, or
 * direct (loopback hosts, `no_proxy`). Which way is decided once per origin; the gateway's
 * origins are the configured providers', a handful. Without proxy settings the gateway uses a
 * plain Agent and pays nothing for this.
 */
export class EgressDispatcher extends DispatcherBase {
  private readonly direct: Undici.Agent;
  private readonly proxies = new Map<string, Undici.ProxyAgent>();
  private readonly byOrigin = new Map<string, { via: Undici.Dispatcher; proxy: ProxyUrl | undefined }>();
  private readonly settings: ProxySettings;
  private readonly options: Undici.Agent.Options;

  constructor(settings: ProxySettings, options: Undici.Agent.Options = {}) {
    super();
    this.settings = settings;
    this.options = options;
    this.direct = new Agent(options);
  }

  override dispatch(opts: Undici.Dispatcher.DispatchOptions, handler: Undici.Dispatcher.DispatchHandler): boolean {
    const { via, proxy } = this.route(String(opts.origin));
    return via.dispatch(opts, proxy && typeof handler.onResponseError === 'function' ? tagged(handler, proxy) : handler);
  }

  override close(): Promise<void>;
  override close(callback: () => void): void;
  override close(callback?: () => void): Promise<void> | void {
    const done = Promise.all([this.direct.close(), ...[...this.proxies.values()].map((p) => p.close())]).then(() => undefined);
    if (!callback) return done;
    void done.then(callback, callback);
  }

  override destroy(): Promise<void>;
  override destroy(err: Error | null): Promise<void>;
  override destroy(callback: () => void): void;
  override destroy(err: Error | null, callback: () => void): void;
  override destroy(a?: Error | null | (() => void), b?: () => void): Promise<void> | void {
    const err = typeof a === 'function' ? null : (a ?? null);
    const callback = typeof a === 'function' ? a : b;
    const done = Promise.all([this.direct.destroy(err), ...[...this.proxies.values()].map((p) => p.destroy(err))]).then(() => undefined);
    if (!callback) return done;
    void done.then(callback, callback);
  }

  private route(origin: string): { via: Undici.Dispatcher; proxy: ProxyUrl | undefined } {
    let r = this.byOrigin.get(origin);
    if (r) return r;
    const proxy = proxyFor(this.settings, origin);
    r = { via: proxy ? this.proxyAgent(proxy) : this.direct, proxy };
    // Origins come from the config, but a client's own base URL could add more: keep the map bounded.
    if (this.byOrigin.size >= 1000) this.byOrigin.clear();
    this.byOrigin.set(origin, r);
    return r;
  }

  private proxyAgent(proxy: ProxyUrl): Undici.ProxyAgent {
    let p = this.proxies.get(proxy.href);
    if (!p) {
      // The package's index, loaded only once a proxy is used: it adds `connect` (the CONNECT
      // request a tunnel opens with) to undici's dispatchers, which the parts alone lack.
      const { ProxyAgent } = require('undici') as typeof Undici;
      // The connect timeout applies to the connection to the proxy. Not as `requestTls` to the
      // tunnel's TLS: given that, undici takes the server name from it alone and sends none.
      const timeout = typeof this.options.connect === 'object' ? this.options.connect?.timeout : undefined;
      p = new ProxyAgent({ ...this.options, uri: proxy.href, ...(timeout === undefined ? {} : { proxyTls: { timeout } }) });
      this.proxies.set(proxy.href, p);
    }
    return p;
  }
}

/** The handler with its errors marked as raised on the way through `proxy`. */
function tagged(h: Undici.Dispatcher.DispatchHandler, proxy: ProxyUrl): Undici.Dispatcher.DispatchHandler {
  return {
    onRequestStart: h.onRequestStart?.bind(h),
    onRequestUpgrade: h.onRequestUpgrade?.bind(h),
    onResponseStart: h.onResponseStart?.bind(h),
    onResponseData: h.onResponseData?.bind(h),
    onResponseEnd: h.onResponseEnd?.bind(h),
    onResponseError: (controller, err) => {
      if (typeof err === 'object' && err !== null) (err as Error & Partial<ThroughProxy>).proxy ??= proxy.shown;
      h.onResponseError!(controller, err);
    },
  };
}

/** The agent for the gateway's upstream requests: a plain pool, or one that honours the proxy settings. */
export function upstreamDispatcher(options: Undici.Agent.Options, settings: ProxySettings | undefined): Undici.Dispatcher {
  return settings ? new EgressDispatcher(settings, options) : new Agent(options);
}

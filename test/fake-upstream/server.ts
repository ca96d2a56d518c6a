import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { setMaxListeners } from 'node:events';
import type { AddressInfo } from 'node:net';
import { errorReply } from './errors.js';
import { refusal } from './openai-refusals.js';
import { requestIdFor, requestIdHeader } from './headers.js';
import { PromptCacheSim } from './prompt-cache.js';
import { type Dialect, type Reply, isRecord } from './reply.js';
import { type Route, findRoute, guessDialect } from './routes.js';
import { RateWindow } from './rate-limit.js';
import type { Arrival, FakeUpstream, RateLimitSpec, RecordedRequest, Scenario, StartOptions, WaitOptions } from './types.js';
import { writeReply } from './writer.js';
import { serveResponsesSocket } from './responses-socket.js';

interface Entry {
  scenario: Scenario;
  remaining: number;
  /** Built 2xx replies by request, for scenarios that answer more than once. */
  cache: Map<string, Reply> | undefined;
}

/** A path prefix under which the fake is an upstream with HTTP only: its APIs answer, a WebSocket upgrade gets a 404. */
const HTTP_ONLY = '/http-only';
const EMPTY = Buffer.alloc(0);
const CACHE_MAX_ENTRIES = 512;
const CACHE_MAX_BODY = 64 * 1024;

function entry(scenario: Scenario, remaining: number): Entry {
  return { scenario: { ...scenario }, remaining, cache: remaining > 1 ? new Map() : undefined };
}

function matches(s: Scenario, rec: RecordedRequest): boolean {
  const m = s.match;
  if (m === undefined) return true;
  if (typeof m === 'string') return rec.path === m;
  if (m instanceof RegExp) return m.test(rec.path);
  return m(rec);
}

function flatHeaders(h: IncomingMessage['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

function parseJson(body: Buffer): unknown {
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

function overrideBody(body: NonNullable<Scenario['body']>): Buffer {
  if (Buffer.isBuffer(body)) return body;
  return Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
}

class FakeServer implements FakeUpstream {
  readonly url: string;
  readonly port: number;
  readonly requests: RecordedRequest[] = [];
  readonly arrivals: Arrival[] = [];
  private readonly promptCache = new PromptCacheSim();
  private queue: Entry[] = [];
  private fallback = entry({}, Infinity);
  private seq = 0;
  private settledCount = 0;
  /** Bumped by reset(), so that requests still open from before do not count afterwards. */
  private generation = 0;
  private readonly waiters = new Set<() => void>();
  private readonly closing = new AbortController();
  private readonly server: Server;
  private readonly record: boolean;
  private rate: RateWindow | undefined;

  get limited(): number {
    return this.rate?.limited ?? 0;
  }

  setRateLimit(spec: RateLimitSpec | undefined): void {
    this.rate = spec ? new RateWindow(spec) : undefined;
  }

  constructor(server: Server, record: boolean, host: string, scheme = 'http') {
    this.server = server;
    this.record = record;
    // Every delayed reply waits on this signal: more than ten at once is this fake's normal load, not a leak.
    setMaxListeners(0, this.closing.signal);
    this.port = (server.address() as AddressInfo).port;
    this.url = `${scheme}://${host}:${this.port}`;
    server.on('request', (req: IncomingMessage, res: ServerResponse) => this.receive(req, res));
    serveResponsesSocket(server, {
      begin: (path, headers, body) => {
        const rec: RecordedRequest = { seq: ++this.seq, method: 'WS', path, query: {}, search: '', headers, body, json: parseJson(body), route: path === '/v1/realtime' ? 'openai.realtime' : 'openai.responses', status: undefined, responseHeaders: {}, sent: EMPTY, outcome: 'pending', clientAborted: false };
        if (this.record) this.requests.push(rec);
        return { rec, scenario: this.take(rec).scenario, requestId: requestIdFor('openai', rec.seq) };
      },
      settle: (rec, sent) => {
        rec.sent = Buffer.concat(sent);
        this.settledCount++;
        for (const w of [...this.waiters]) w();
      },
      promptCache: this.promptCache,
      signal: this.closing.signal,
    });
  }

  script(...scenarios: Scenario[]): void {
    for (const s of scenarios) this.queue.push(entry(s, s.times ?? 1));
  }

  setDefault(scenario: Scenario): void {
    this.fallback = entry(scenario, Infinity);
  }

  pendingScenarios(): number {
    return this.queue.length;
  }

  reset(): void {
    this.requests.length = 0;
    this.arrivals.length = 0;
    this.queue = [];
    this.fallback = entry({}, Infinity);
    this.seq = 0;
    this.settledCount = 0;
    this.promptCache.clear();
    this.generation++;
  }

  waitForRequests(count: number, opts: WaitOptions = {}): Promise<RecordedRequest[]> {
    const timeoutMs = opts.timeoutMs ?? 5000;
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.settledCount < count) return;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve(this.requests.slice());
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`fake upstream: ${this.settledCount} of ${count} requests finished within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  async close(): Promise<void> {
    this.closing.abort();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private receive(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    const arrival: Arrival = { method: req.method ?? 'GET', path: req.url ?? '/', headers: flatHeaders(req.headers), bytes: 0, ended: false, aborted: false };
    if (this.record) this.arrivals.push(arrival);
    req.on('data', (c: Buffer) => {
      arrival.bytes += c.length;
      chunks.push(c);
    });
    req.on('end', () => {
      arrival.ended = true;
      this.answer(req, res, chunks.length === 1 ? chunks[0]! : chunks.length === 0 ? EMPTY : Buffer.concat(chunks));
    });
    req.on('close', () => {
      if (!arrival.ended) arrival.aborted = true;
    });
    req.on('error', () => res.destroy());
  }

  private answer(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
    const target = req.url ?? '/';
    const q = target.indexOf('?');
    const path = q < 0 ? target : target.slice(0, q);
    const query = q < 0 ? {} : Object.fromEntries(new URLSearchParams(target.slice(q + 1)));
    const headers = flatHeaders(req.headers);
    const method = req.method ?? 'GET';
    const route = findRoute(method, path.startsWith(HTTP_ONLY) ? path.slice(HTTP_ONLY.length) : path, headers, query);
    const rec: RecordedRequest = {
      seq: ++this.seq,
      method,
      path,
      query,
      search: q < 0 ? '' : target.slice(q + 1),
      headers,
      body,
      json: parseJson(body),
      route: route?.name,
      status: undefined,
      responseHeaders: {},
      sent: EMPTY,
      outcome: 'pending',
      clientAborted: false,
    };
    if (this.record) this.requests.push(rec);
    const dialect = route?.dialect ?? guessDialect(path, headers);
    const limit = this.rate?.admit(rec, dialect, Date.now());
    const e = limit?.ok === false ? entry({ status: 429, headers: limit.headers }, 1) : this.take(rec);
    const s = e.scenario;
    const requestId = requestIdFor(dialect, rec.seq);
    const sent: Buffer[] = [];
    const generation = this.generation;
    res.on('close', () => this.settle(rec, res, sent, generation));
    if (s.hang === true) return;
    if (s.until !== undefined) void s.until.then(() => this.reply(res, route, rec, e, dialect, requestId, target, limit, sent));
    else this.reply(res, route, rec, e, dialect, requestId, target, limit, sent);
  }

  private reply(res: ServerResponse, route: Route | undefined, rec: RecordedRequest, e: Entry, dialect: Dialect, requestId: string, target: string, limit: ReturnType<RateWindow['admit']> | undefined, sent: Buffer[]): void {
    const s = e.scenario;
    if (s.reset === true) {
      rec.outcome = 'cut';
      res.socket?.resetAndDestroy();
      return;
    }
    const replied = this.replyFor(route, rec, e, dialect, requestId, target);
    const reply = this.finalReply(limit?.ok === true ? { ...replied, headers: { ...replied.headers, ...limit.headers } } : replied, s, dialect, requestId);
    rec.status = reply.status;
    rec.responseHeaders = reply.headers;
    const hooks = {
      wrote: this.record ? (b: Buffer) => sent.push(b) : () => undefined,
      cut: () => {
        rec.outcome = 'cut';
      },
      signal: this.closing.signal,
    };
    writeReply(res, reply, s, requestId, hooks).catch(() => res.destroy());
  }

  private take(rec: RecordedRequest): Entry {
    const i = this.queue.findIndex((e) => matches(e.scenario, rec));
    if (i < 0) return this.fallback;
    const e = this.queue[i]!;
    if (--e.remaining <= 0) this.queue.splice(i, 1);
    return e;
  }

  private replyFor(route: Route | undefined, rec: RecordedRequest, e: Entry, dialect: Dialect, requestId: string, target: string): Reply {
    const s = e.scenario;
    if (route === undefined) return errorReply(dialect, 404, { message: `Invalid URL (${rec.method} ${rec.path})`, code: null }, requestId);
    if (s.status !== undefined && s.status >= 400) return errorReply(dialect, s.status, s.error, requestId, route.arrayWrapped);
    if (route.json && !isRecord(rec.json)) return errorReply(dialect, 400, { message: 'We could not parse the JSON body of your request.' }, requestId, route.arrayWrapped);
    const refused = s.refuseUnsupported === true && isRecord(rec.json) ? refusal(route.name, rec.json) : undefined;
    if (refused !== undefined) return errorReply(dialect, 400, refused, requestId);
    // Identical requests get identical bytes, so a repeated scenario renders each request once.
    const stateful = () => route.stateful === true || route.statefulFor?.(isRecord(rec.json) ? rec.json : {}) === true;
    const key = e.cache !== undefined && s.promptCache === undefined && rec.body.length <= CACHE_MAX_BODY && !stateful() ? `${route.name} ${target}\n${rec.body.toString('latin1')}` : undefined;
    const cached = key === undefined ? undefined : e.cache!.get(key);
    if (cached !== undefined) return cached;
    const reply = route.build({ req: rec, requestId, body: isRecord(rec.json) ? rec.json : {}, scenario: s, promptCache: this.promptCache });
    if (key !== undefined && reply.status < 400) {
      if (e.cache!.size >= CACHE_MAX_ENTRIES) e.cache!.clear();
      e.cache!.set(key, reply);
    }
    return reply;
  }

  /** Applies the scenario's raw overrides and the per-request headers. */
  private finalReply(reply: Reply, s: Scenario, dialect: Dialect, requestId: string): Reply {
    let { pieces, stream, status } = reply;
    const headers: Record<string, string> = { ...reply.headers };
    if (s.body !== undefined) {
      pieces = [overrideBody(s.body)];
      stream = false;
      if (!Buffer.isBuffer(s.body) && typeof s.body !== 'string') headers['content-type'] = 'application/json';
    }
    if (s.events !== undefined) {
      pieces = s.events.map((p) => (typeof p === 'string' ? Buffer.from(p) : p));
      stream = true;
    }
    if (s.status !== undefined && s.status < 400) status = s.status;
    const idHeader = requestIdHeader(dialect);
    if (idHeader !== undefined) headers[idHeader] = requestId;
    if (!stream) headers['content-length'] = String(pieces.reduce((n, p) => n + p.length, 0));
    for (const [k, v] of Object.entries(s.headers ?? {})) {
      if (v === null) delete headers[k.toLowerCase()];
      else headers[k.toLowerCase()] = v;
    }
    return { ...reply, status, headers, pieces, stream };
  }

  private settle(rec: RecordedRequest, res: ServerResponse, sent: Buffer[], generation: number): void {
    if (rec.outcome === 'pending') {
      if (res.writableFinished) rec.outcome = 'complete';
      else {
        rec.outcome = 'client-aborted';
        rec.clientAborted = !this.closing.signal.aborted;
      }
    }
    rec.sent = sent.length === 1 ? sent[0]! : Buffer.concat(sent);
    if (generation !== this.generation) return;
    this.settledCount++;
    for (const w of [...this.waiters]) w();
  }
}

/**
 * Starts a fake OpenAI + Anthropic + Gemini upstream on 127.0.0.1.
 *
 * @example
 * const fake = await startFakeUpstream();
 * fake.script({ usage: { input: 100, cacheRead: 50, output: 20 }, chunks: 3 });
 * const client = new OpenAI({ apiKey: 'sk-test', baseURL: `${fake.url}/v1`, maxRetries: 0 });
 * await client.chat.completions.create({ model: 'gpt-5-mini', messages: [{ role: 'user', content: 'hi' }] });
 * expect(fake.requests[0]!.path).toBe('/v1/chat/completions');
 * await fake.close();
 */
export async function startFakeUpstream(opts: StartOptions = {}): Promise<FakeUpstream> {
  const host = opts.host ?? '127.0.0.1';
  const server = opts.tls ? createHttpsServer({ keepAliveTimeout: 30_000, ...opts.tls }) : createServer({ keepAliveTimeout: 30_000 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return new FakeServer(server, opts.record ?? true, host, opts.tls ? 'https' : 'http');
}

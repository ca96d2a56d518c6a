import type { Dialect } from '../core/api.js';
import { type Glob, compileGlob } from '../core/glob.js';
import { AffinityMap } from './affinity.js';
import { Capacity } from './capacity.js';
import { DeploymentHealth, type HealthChange, findOutlier } from './health.js';
import type { HealthStore, RateMark } from './health-store/port.js';
import { MAX_REST_MS, type RateSnapshot, rateLimitHeaders, readRateHeaders, unifiedResetWaitMs } from './rate-limits.js';
import { type ResponseHeaders, backoffMs, requestedWaitMs } from './retry.js';
import { type Candidate, type Pick, pick } from './select.js';
import { type RouteStatus, deploymentStatus, routeStatus } from './status.js';
import { DEFAULT_AFFINITY, DEFAULT_RETRY, type Deployment, type HealthPolicy, type Route } from './types.js';

interface State {
  d: Deployment;
  health: DeploymentHealth;
  cap: Capacity;
  /** The route whose deployments are its peers for outlier ejection. */
  peers: State[];
  route: Route;
  /** When the rate-limit view was last read from headers, here or by another replica. */
  seenAt: number;
  /** This process's latest view, not yet shared with other replicas. */
  unshared: RateMark | undefined;
}

/** One client request's way through a route: its candidates and what was tried. */
export interface RoutePlan {
  route: Route;
  candidates: Candidate[];
  affinityKey: string | undefined;
  sticky: string | undefined;
  /** Upstream tries so far. */
  tries: number;
}

/** How an attempt ended, for health and rate-limit tracking. */
export type AttemptReport =
  | { kind: 'ok'; headers: ResponseHeaders; tokens: number | undefined }
  /** The upstream answered (a 429, 5xx…): its headers may carry rate limits and a wait; `waitMs` is a wait its body asked for (Gemini's retryDelay). */
  | { kind: 'failed'; status: number; headers: ResponseHeaders; waitMs?: number; restMs?: number }
  /** No answer: connection refused or reset, or a timeout. */
  | { kind: 'unreachable' }
  /** The client left before an answer reached it: says nothing of the deployment's health. */
  | { kind: 'abandoned' };

export interface RouterOptions {
  store?: HealthStore;
  now?: () => number;
  random?: () => number;
  onError?: (err: unknown) => void;
}

/**
 * The routing layer's state for one gateway process: which configured route serves a
 * model, each deployment's health and rate-limit view, and cache affinity. Every method
 * on a request's path is synchronous and in memory; shared health moves to and from
 * Redis in the background.
 */
export class Router {
  readonly routes: readonly Route[];
  private readonly matchers: { glob: Glob; route: Route }[];
  private readonly byModel = new Map<string, Route | null>();
  private readonly states = new Map<string, State>();
  private readonly affinity = new AffinityMap();
  private readonly health: HealthPolicy;
  private readonly store: HealthStore | undefined;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly onError: (err: unknown) => void;
  private readonly waiting = new Map<Route, number>();
  private timer: NodeJS.Timeout | undefined;
  private readonly ids: string[];

  constructor(routes: readonly Route[], health: HealthPolicy, o: RouterOptions = {}) {
    this.routes = routes;
    this.health = health;
    this.store = o.store;
    this.now = o.now ?? Date.now;
    this.random = o.random ?? Math.random;
    this.onError = o.onError ?? (() => undefined);
    this.matchers = routes.map((route) => ({ glob: compileGlob(route.model), route }));
    this.ids = routes.flatMap((r) => r.deployments.map((d) => d.id));
    for (const route of routes) {
      const peers: State[] = [];
      for (const d of route.deployments) {
        const s: State = { d, health: new DeploymentHealth(health), cap: new Capacity(d.rpm, d.tpm), peers, route, seenAt: 0, unshared: undefined };
        peers.push(s);
        this.states.set(d.id, s);
      }
    }
  }

  /** Whether any configured route serves a model of this dialect. */
  routesDialect(dialect: Dialect): boolean {
    return this.routes.some((r) => r.deployments[0]?.dialect === dialect);
  }

  /** The configured route for a model of this dialect, or undefined (the plain single-provider path). */
  routeFor(dialect: Dialect, model: string): Route | undefined {
    const key = dialect + '\u0000' + model;
    let r = this.byModel.get(key);
    if (r === undefined) {
      r = this.matchers.find((m) => m.route.deployments[0]?.dialect === dialect && m.glob.test(model))?.route ?? null;
      if (this.byModel.size > 10_000) this.byModel.clear();
      this.byModel.set(key, r);
    }
    return r ?? undefined;
  }

  /** The candidates for a request: the route's deployments, then each fallback model's. */
  plan(route: Route, model: string, affinityKey: string | undefined): RoutePlan {
    const candidates: Candidate[] = [];
    const add = (r: Route, m: string, tier: number) => {
      for (const d of r.deployments) {
        const s = this.states.get(d.id)!;
        candidates.push({ d, tier, model: d.model ?? m, routeModel: m, health: s.health, cap: s.cap, tries: 0, retryAt: 0 });
      }
    };
    add(route, model, 0);
    route.fallbacks.forEach((m, i) => {
      const r = this.routeFor(route.deployments[0]!.dialect, m);
      if (r && r !== route) add(r, m, i + 1);
    });
    candidates.sort((a, b) => a.tier - b.tier || a.d.order - b.d.order);
    const sticky = route.affinity.enabled && affinityKey !== undefined ? this.affinity.get(affinityKey, this.now(), route.affinity.ttlMs) : undefined;
    return { route, candidates, affinityKey, sticky, tries: 0 };
  }

  /**
   * The deployment a route's first attempt goes to when all are up: the first, in the file, of its
   * lowest `order` (the router weighs it against its peers of that order, which attempts check on their own).
   */
  lead(route: Route): Deployment | undefined {
    let best: Deployment | undefined;
    for (const d of route.deployments) if (best === undefined || d.order < best.order) best = d;
    return best;
  }

  /** A configured deployment by name. */
  deployment(id: string): Deployment | undefined {
    return this.states.get(id)?.d;
  }

  /**
   * The plan for a request a routing rule sent to one deployment: it alone is tried (with
   * its route's retries, timeouts and queue), never its peers or fallbacks.
   */
  pin(id: string, model: string): RoutePlan | undefined {
    const s = this.states.get(id);
    if (!s) return undefined;
    return { route: s.route, candidates: [{ d: s.d, tier: 0, model: s.d.model ?? model, routeModel: model, health: s.health, cap: s.cap, tries: 0, retryAt: 0 }], affinityKey: undefined, sticky: undefined, tries: 0 };
  }

  /**
   * The plan of a deployment no route declares (a plain provider, which a routing rule's target or
   * fallback may be): one try, its health and capacity known to this request alone, never shared.
   */
  alone(d: Deployment, model: string): RoutePlan {
    const route: Route = { model, deployments: [d], fallbacks: [], retry: { ...DEFAULT_RETRY, attempts: 1, perDeployment: 1 }, queue: { maxDepth: 1, maxWaitMs: 0 }, affinity: { ...DEFAULT_AFFINITY, enabled: false } };
    const c: Candidate = { d, tier: 0, model: d.model ?? model, routeModel: model, health: new DeploymentHealth(this.health), cap: new Capacity(undefined, undefined), tries: 0, retryAt: 0 };
    return { route, candidates: [c], affinityKey: undefined, sticky: undefined, tries: 0 };
  }

  /** The next deployment to try, or when to ask again, or none left. */
  next(p: RoutePlan, tokens: number): Pick {
    if (p.tries >= p.route.retry.attempts) return { kind: 'none' };
    return pick({ candidates: p.candidates, perDeployment: p.route.retry.perDeployment, tokens, now: this.now(), sticky: p.sticky, missCostFactor: p.route.affinity.missCostFactor, random: this.random });
  }

  /** Takes a place in the route's bounded queue; false when it is full. */
  enqueue(route: Route): boolean {
    const n = this.waiting.get(route) ?? 0;
    if (n >= route.queue.maxDepth) return false;
    this.waiting.set(route, n + 1);
    return true;
  }

  dequeue(route: Route): void {
    const n = (this.waiting.get(route) ?? 1) - 1;
    // A route made for one request (alone) leaves no entry behind.
    if (n > 0) this.waiting.set(route, n);
    else this.waiting.delete(route);
  }

  started(p: RoutePlan, c: Candidate, tokens: number): void {
    p.tries++;
    c.tries++;
    c.health.started();
    c.cap.sent(tokens, this.now());
  }

  /** Records how an attempt ended; for a failure, sets when the same deployment may be retried. */
  finished(p: RoutePlan, c: Candidate, estimated: number, r: AttemptReport): void {
    const now = this.now();
    // Undefined for a deployment of a plan made `alone`: nothing of it is kept or shared (even under a configured deployment's name).
    const s = this.states.get(c.d.id)?.d === c.d ? this.states.get(c.d.id) : undefined;
    c.cap.done(estimated, r.kind === 'ok' ? r.tokens : undefined, now);
    if (r.kind === 'abandoned') {
      c.health.abandoned();
      return;
    }
    const snap = r.kind === 'unreachable' ? undefined : readRateHeaders(r.headers, now);
    if (snap) {
      c.cap.observe(snap, now);
      if (s) this.keep(s, snap, now);
    }
    if (r.kind === 'ok') {
      const change = c.health.succeeded();
      if (s) this.publish(c.d.id, change);
      if (p.affinityKey !== undefined && p.route.affinity.enabled) this.affinity.set(p.affinityKey, c.d.id, now, p.route.affinity.ttlMs);
      return;
    }
    // A rest the error itself calls for (no credit left) wins over the headers' rate-limit resets.
    let asked = r.kind === 'failed' ? (r.restMs ?? requestedWaitMs(r.headers, now) ?? r.waitMs) : undefined;
    if (asked !== undefined) asked = Math.min(asked, MAX_REST_MS);
    if (r.kind === 'failed' && r.status === 429) {
      // A rate limit is not a fault: the deployment rests until its reset, for every request. Nor does
      // it judge a half-open breaker's probe, whose place is given back (else none would be left, ever).
      // A Claude subscription's 429 names no wait, only when its 5-hour or weekly limit resets.
      asked ??= unifiedResetWaitMs(r.headers, now);
      c.health.abandoned();
      c.cap.block(now + (asked ?? backoffMs(p.route.retry, c.tries, this.random)), rateLimitHeaders(r.headers));
      if (s) this.keep(s, snap, now);
    } else if (r.kind === 'unreachable' || r.status >= 500 || r.status === 401 || r.status === 403) {
      const change = c.health.failed(now);
      if (s) {
        this.publish(c.d.id, change);
        const out = findOutlier(
          s.peers.map((x) => x.health),
          now,
          this.health,
        );
        if (out >= 0) this.publish(s.peers[out]!.d.id, s.peers[out]!.health.eject(now));
      }
    }
    c.retryAt = now + (asked ?? backoffMs(p.route.retry, c.tries, this.random));
  }

  /** Notes a new rate-limit view (headers, or a 429's pause) to share on the next refresh. */
  private keep(s: State, snap: RateSnapshot | undefined, now: number): void {
    if (!this.store) return;
    s.seenAt = now;
    s.unshared = { deployment: s.d.id, at: now, snapshot: snap ?? s.unshared?.snapshot ?? {}, blockedUntil: s.cap.blockedUntil, headers: s.cap.pausedBy(now) };
  }

  /** Starts reading shared health from the store on a timer. */
  start(): void {
    if (!this.store || this.timer) return;
    const tick = () => void this.refresh().catch(this.onError);
    tick();
    this.timer = setInterval(tick, this.health.refreshMs);
    this.timer.unref();
  }

  /**
   * Shares this process's latest rate-limit views, then reads shared health and other
   * replicas' newer rate-limit views into the local copy the request path uses.
   */
  async refresh(): Promise<void> {
    if (!this.store) return;
    const out: RateMark[] = [];
    for (const s of this.states.values()) {
      if (s.unshared) out.push(s.unshared);
      s.unshared = undefined;
    }
    if (out.length > 0) await this.store.shareRates(out, this.now());
    const [marks, rates] = await Promise.all([this.store.read(this.ids, this.now()), this.store.readRates(this.ids, this.now())]);
    for (const s of this.states.values()) s.health.remoteUntil = 0;
    for (const m of marks) {
      const s = this.states.get(m.deployment);
      if (s) s.health.remoteUntil = m.until;
    }
    const now = this.now();
    for (const m of rates) {
      const s = this.states.get(m.deployment);
      // Only a view read after this process's own latest one says anything new.
      if (!s || m.at <= s.seenAt) continue;
      s.seenAt = m.at;
      const { requests, tokens } = m.snapshot;
      // A count whose window has reset since says nothing (and would shrink the window's length).
      s.cap.observe({ requests: requests && requests.resetAt > now ? requests : undefined, tokens: tokens && tokens.resetAt > now ? tokens : undefined }, now);
      s.cap.block(m.blockedUntil, m.headers);
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.store?.close();
  }

  /** Health of every deployment, for status views and tests. */
  snapshot(): { id: string; breaker: string; available: boolean; headroom: number }[] {
    const now = this.now();
    return [...this.states.values()].map((s) => ({ id: s.d.id, breaker: s.health.breaker, available: s.health.available(now), headroom: s.cap.headroom(now) }));
  }

  /** Every route and deployment as this process sees it (shared marks included): `tollgate routing status`. */
  status(): RouteStatus[] {
    const now = this.now();
    return this.routes.map((r) =>
      routeStatus(
        r,
        this.waiting.get(r) ?? 0,
        r.deployments.map((d) => {
          const s = this.states.get(d.id)!;
          return deploymentStatus(d, s.health, s.cap, now);
        }),
      ),
    );
  }

  private publish(id: string, change: HealthChange | undefined): void {
    if (!change || !this.store) return;
    const done = change.until === 0 ? this.store.clear(id) : this.store.mark({ deployment: id, kind: change.kind, until: change.until });
    done.catch(this.onError);
  }
}

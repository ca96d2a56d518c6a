import type { RateSnapshot } from './rate-limits.js';

const MINUTE = 60_000;

/**
 * The most tokens one request counts for. A client's output cap can be any number (1e308): added to
 * the sums and taken off again when the request ends, it would wipe out what they held in a double.
 */
const MAX_REQUEST_TOKENS = 2 ** 31;

export interface LimitView {
  limit: number | undefined;
  remaining: number;
  resetAt: number;
}

/**
 * One deployment's rate-limit view: what its last response's headers said (remaining
 * requests and tokens, and when they reset), minus what this process sent since, plus the
 * configured rpm/tpm counted over a sliding minute. All times are ms since the epoch,
 * passed in, so tests drive the clock.
 */
export class Capacity {
  inflight = 0;
  /** A 429 asked for a pause until then. */
  blockedUntil = 0;
  /** That 429's rate-limit headers, for the gateway's own 429 while the pause lasts (a client such as Claude Code reads them). */
  blockedHeaders: Readonly<Record<string, string>> | undefined;
  private reqLimit: number | undefined;
  private reqRemaining = NaN;
  private reqResetAt = 0;
  private reqWindow = 1000;
  private reqSent = 0;
  private tokLimit: number | undefined;
  private tokRemaining = NaN;
  private tokResetAt = 0;
  private tokWindow = 1000;
  private tokSent = 0;
  // Configured limits: this minute's and the previous minute's counts.
  private minute = 0;
  private curReq = 0;
  private prevReq = 0;
  private curTok = 0;
  private prevTok = 0;
  private readonly rpm: number | undefined;
  private readonly tpm: number | undefined;

  constructor(rpm: number | undefined, tpm: number | undefined) {
    this.rpm = rpm;
    this.tpm = tpm;
  }

  /** 0 when a request of `tokens` fits now, else the earliest time it may. */
  freeAt(tokens: number, now: number): number {
    this.roll(now);
    let at = this.blockedUntil > now ? this.blockedUntil : 0;
    if (this.reqRemaining === this.reqRemaining && this.reqRemaining - this.reqSent < 1) at = Math.max(at, this.reqResetAt);
    if (this.tokRemaining === this.tokRemaining && this.tokRemaining - this.tokSent < tokens && (this.tokLimit === undefined || tokens <= this.tokLimit)) at = Math.max(at, this.tokResetAt);
    if (this.rpm !== undefined && this.used('req', now) + 1 > this.rpm) at = Math.max(at, now + Math.max(20, MINUTE / this.rpm));
    if (this.tpm !== undefined && tokens <= this.tpm && this.used('tok', now) + tokens > this.tpm) at = Math.max(at, now + Math.max(20, (MINUTE * tokens) / this.tpm));
    return at;
  }

  /** The smallest share of capacity left (1 when nothing is known): how loaded the deployment is. */
  headroom(now: number): number {
    this.roll(now);
    let h = 1;
    if (this.reqLimit && this.reqRemaining === this.reqRemaining) h = Math.min(h, (this.reqRemaining - this.reqSent) / this.reqLimit);
    if (this.tokLimit && this.tokRemaining === this.tokRemaining) h = Math.min(h, (this.tokRemaining - this.tokSent) / this.tokLimit);
    if (this.rpm !== undefined) h = Math.min(h, 1 - this.used('req', now) / this.rpm);
    if (this.tpm !== undefined) h = Math.min(h, 1 - this.used('tok', now) / this.tpm);
    return h < 0 ? 0 : h;
  }

  sent(estimated: number, now: number): void {
    const tokens = Math.min(estimated, MAX_REQUEST_TOKENS);
    this.inflight++;
    this.reqSent++;
    this.tokSent += tokens;
    this.tick(now);
    this.curReq++;
    this.curTok += tokens;
  }

  /** The attempt ended (answered or failed); `tokensUsed` corrects the estimate counted at send. */
  done(estimated: number, tokensUsed: number | undefined, now: number): void {
    this.inflight--;
    if (tokensUsed !== undefined && this.tpm !== undefined) {
      this.tick(now);
      this.curTok += tokensUsed - Math.min(estimated, MAX_REQUEST_TOKENS);
    }
  }

  /**
   * A response's headers (after `done` for its request): the upstream's own count replaces
   * ours, and requests still in flight, which it has not counted yet, stay counted.
   */
  observe(s: RateSnapshot, now: number): void {
    const others = this.inflight;
    if (s.requests) {
      this.reqLimit = s.requests.limit ?? this.reqLimit;
      this.reqRemaining = s.requests.remaining;
      this.reqWindow = Math.max(50, s.requests.resetAt - now);
      this.reqResetAt = s.requests.resetAt;
      this.reqSent = others;
    }
    if (s.tokens) {
      this.tokLimit = s.tokens.limit ?? this.tokLimit;
      this.tokRemaining = s.tokens.remaining;
      this.tokWindow = Math.max(50, s.tokens.resetAt - now);
      this.tokResetAt = s.tokens.resetAt;
      this.tokSent = 0;
    }
  }

  /**
   * What the last rate-limit headers said, less what was sent since (undefined for a limit
   * no header has reported), as the router sees it at `now`: for status views.
   */
  view(now: number): { requests: LimitView | undefined; tokens: LimitView | undefined } {
    this.roll(now);
    const at = (limit: number | undefined, remaining: number, sent: number, resetAt: number): LimitView | undefined =>
      remaining === remaining ? { limit, remaining: Math.max(0, remaining - sent), resetAt } : undefined;
    return { requests: at(this.reqLimit, this.reqRemaining, this.reqSent, this.reqResetAt), tokens: at(this.tokLimit, this.tokRemaining, this.tokSent, this.tokResetAt) };
  }

  /** A 429: nothing more until `until`. `headers`, its rate-limit headers, replace those of an earlier 429 (the latest says most). */
  block(until: number, headers?: Readonly<Record<string, string>>): void {
    if (until > this.blockedUntil) this.blockedUntil = until;
    if (headers !== undefined) this.blockedHeaders = headers;
  }

  /** The rate-limit headers of the 429 whose pause is in force at `now`, if any. */
  pausedBy(now: number): Readonly<Record<string, string>> | undefined {
    return this.blockedUntil > now ? this.blockedHeaders : undefined;
  }

  /** Past a reset the window is full again; requests in flight are counted in the new one, to be safe. */
  private roll(now: number): void {
    if (this.reqRemaining === this.reqRemaining && now >= this.reqResetAt) {
      this.reqRemaining = this.reqLimit ?? NaN;
      this.reqSent = this.inflight;
      this.reqResetAt = now + this.reqWindow;
    }
    if (this.tokRemaining === this.tokRemaining && now >= this.tokResetAt) {
      this.tokRemaining = this.tokLimit ?? NaN;
      this.tokSent = 0;
      this.tokResetAt = now + this.tokWindow;
    }
  }

  private tick(now: number): void {
    const m = Math.floor(now / MINUTE);
    if (m === this.minute) return;
    this.prevReq = m === this.minute + 1 ? this.curReq : 0;
    this.prevTok = m === this.minute + 1 ? this.curTok : 0;
    this.curReq = 0;
    this.curTok = 0;
    this.minute = m;
  }

  /** The sliding-minute count: the previous minute weighted by how much of it is still inside. */
  private used(kind: 'req' | 'tok', now: number): number {
    this.tick(now);
    const into = (now % MINUTE) / MINUTE;
    return kind === 'req' ? this.prevReq * (1 - into) + this.curReq : this.prevTok * (1 - into) + this.curTok;
  }
}

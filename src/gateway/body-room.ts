import { byteSize } from '../core/count-text.js';
import { GatewayError } from '../core/errors.js';

/**
 * Room for the request bodies of callers the gateway cannot verify (`server.unverified_bodies_mb`):
 * a provider key passed through is a key to the gateway whatever it holds (only the provider can
 * judge it), and with `auth.anonymous: allow` no key is needed at all. Such a request's body counts
 * here from its first byte until the provider's answer to it begins (the body has been sent and let
 * go) or the request ends, so that anyone who can reach the gateway can make it hold this much for
 * them at most, however many requests they open and however slowly they send. Callers with a
 * Tollgate key never count here.
 */
export class BodyRoom {
  private used = 0;
  readonly limit: number;

  constructor(limit: number) {
    this.limit = limit;
  }

  /** The bytes held now. */
  get held(): number {
    return this.used;
  }

  /** A request's share, empty until it takes some. */
  hold(): BodyHold {
    return new BodyHold(this);
  }

  /** Takes `n` bytes if they fit. */
  take(n: number): boolean {
    if (this.used + n > this.limit) return false;
    this.used += n;
    return true;
  }

  give(n: number): void {
    this.used -= n;
  }
}

/** One request's bytes in a BodyRoom. */
export class BodyHold {
  private bytes = 0;
  private readonly room: BodyRoom;

  constructor(room: BodyRoom) {
    this.room = room;
  }

  /** Takes `n` more bytes, or throws `gateway_busy` (503) when the room has not that much left. */
  take(n: number): void {
    const refused = this.tryTake(n);
    if (refused) throw refused;
  }

  /** Takes `n` more bytes; or, when the room has not that much left, takes nothing and returns the refusal (`gateway_busy`, 503). */
  tryTake(n: number): GatewayError | undefined {
    if (n <= 0) return undefined;
    if (!this.room.take(n)) return busy(this.room.limit);
    this.bytes += n;
    return undefined;
  }

  /** Makes the share `n` bytes (a body's size once decoded); throws as `take` does. */
  grow(n: number): void {
    this.take(n - this.bytes);
  }

  /** Gives the bytes back; again is harmless. */
  release = (): void => {
    this.room.give(this.bytes);
    this.bytes = 0;
  };
}

function busy(limit: number): GatewayError {
  const message = `This gateway is holding as much request data from callers it cannot verify (provider keys passed through, or no key) as it takes at once, ${byteSize(limit)} (server.unverified_bodies_mb). Retry shortly, or send a Tollgate key (tg_…).`;
  return new GatewayError('gateway_busy', message, { headers: { 'retry-after': '1' } });
}

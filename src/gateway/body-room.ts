import { byteSize } from '../core/count-text.js';
import { GatewayError } from '../core/errors.js';
import { addressKey } from '../identity/client-address.js';

/**
 * Room for the request bodies of callers the gateway cannot verify (`server.unverified_bodies_mb`):
 * a provider key passed through is a key to the gateway whatever it holds (only the provider can
 * judge it), and with `auth.anonymous: allow` no key is needed at all. Such a request's body counts
 * here from its first byte until the provider's answer to it begins (the body has been sent and let
 * go) or the request ends, so that anyone who can reach the gateway can make it hold this much for
 * them at most, however many requests they open and however slowly they send. One client address
 * (as `clientOf` finds it, an IPv6 one by its /64) holds at most `share` of it
 * (`server.unverified_bodies_per_address_mb`), so that one sender cannot keep the others out.
 * Callers with a Tollgate key never count here.
 */
export class BodyRoom {
  private used = 0;
  /** Bytes held per client address (its `addressKey`), only while it holds some. */
  private readonly byClient = new Map<string, number>();
  readonly limit: number;
  /** The most one client address may hold of `limit`. */
  readonly share: number;

  /**
   * One address may hold `share` of `limit`; by default a quarter of it, or `maxBody` (`server.max_body_mb`)
   * if that is more: a body that large must fit. The config checks a share it sets against both.
   */
  constructor(limit: number, maxBody = 0, share?: number) {
    this.limit = limit;
    this.share = Math.min(limit, share ?? Math.max(Math.floor(limit / 4), maxBody));
  }

  /** The bytes held now. */
  get held(): number {
    return this.used;
  }

  /** The bytes the client at `client` (see `clientOf`) holds now. */
  heldBy(client: string | undefined): number {
    return this.byClient.get(addressKey(client)) ?? 0;
  }

  /** A request's share, empty until it takes some, for the client at `client` (see `clientOf`). */
  hold(client: string | undefined): BodyHold {
    return new BodyHold(this, addressKey(client));
  }

  /** Takes `n` bytes for `key` if they fit in the room and in its share; else the refusal. */
  take(key: string, n: number): GatewayError | undefined {
    const mine = this.byClient.get(key) ?? 0;
    if (mine + n > this.share) return busy(this, true);
    if (this.used + n > this.limit) return busy(this, false);
    this.used += n;
    this.byClient.set(key, mine + n);
    return undefined;
  }

  give(key: string, n: number): void {
    if (n <= 0) return;
    this.used -= n;
    const left = (this.byClient.get(key) ?? 0) - n;
    if (left > 0) this.byClient.set(key, left);
    else this.byClient.delete(key);
  }
}

/** One request's bytes in a BodyRoom. */
export class BodyHold {
  private bytes = 0;
  private readonly room: BodyRoom;
  private readonly key: string;

  constructor(room: BodyRoom, key: string) {
    this.room = room;
    this.key = key;
  }

  /** Takes `n` more bytes, or throws `gateway_busy` (503) when the room, or the client's share of it, has not that much left. */
  take(n: number): void {
    const refused = this.tryTake(n);
    if (refused) throw refused;
  }

  /** Takes `n` more bytes; or, when the room or the client's share has not that much left, takes nothing and returns the refusal (`gateway_busy`, 503). */
  tryTake(n: number): GatewayError | undefined {
    if (n <= 0) return undefined;
    const refused = this.room.take(this.key, n);
    if (refused) return refused;
    this.bytes += n;
    return undefined;
  }

  /** Makes the share `n` bytes (a body's size once decoded); throws as `take` does. */
  grow(n: number): void {
    this.take(n - this.bytes);
  }

  /** Gives the bytes back; again is harmless. */
  release = (): void => {
    this.room.give(this.key, this.bytes);
    this.bytes = 0;
  };
}

function busy(room: BodyRoom, own: boolean): GatewayError {
  const what = 'request data from callers it cannot verify (provider keys passed through, or no key)';
  const message = own
    ? `This gateway is holding as much ${what} from this client address as one address may have at once, ${byteSize(room.share)} (server.unverified_bodies_per_address_mb) of the ${byteSize(room.limit)} of server.unverified_bodies_mb. Retry once its other requests are sent, or send a Tollgate key (tg_…).`
    : `This gateway is holding as much ${what} as it takes at once, ${byteSize(room.limit)} (server.unverified_bodies_mb). Retry shortly, or send a Tollgate key (tg_…).`;
  return new GatewayError('gateway_busy', message, { headers: { 'retry-after': '1' } });
}

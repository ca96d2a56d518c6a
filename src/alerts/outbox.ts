import { createHash } from 'node:crypto';

/** An alert kept for one webhook until it is delivered or given up on. */
export interface OutboxEntry {
  id: string;
  /** The webhook, as `webhookTargetId` names it: a webhook's URL is often its secret, so it is not stored. */
  target: string;
  /** The JSON posted, as rendered when the alert was raised. */
  body: string;
  createdAt: number;
  /** Delivery tries so far, by every process. */
  tries: number;
}

/**
 * Where alerts wait for their webhooks (storage's `alert_outbox`), so that one raised while its
 * receiver is down, or while the gateway stops or dies, is still delivered: by the same process
 * later, by the next start, by another replica, or by the gateway for an alert the CLI raised.
 * A process holds an entry under a lease while it tries it; an entry whose lease has run out is
 * anyone's.
 */
export interface AlertOutbox {
  /** Keeps a new entry, due now and leased to `owner` until `leaseUntil`. */
  add(e: OutboxEntry, owner: string, leaseUntil: number): Promise<void>;
  /**
   * Leases to `owner` until `leaseUntil` up to `limit` entries of `targets`, oldest first, that
   * are due at `now` and not leased to anyone else.
   */
  claimDue(targets: readonly string[], owner: string, now: number, leaseUntil: number, limit: number): Promise<OutboxEntry[]>;
  /** Extends `owner`'s lease, or takes an expired one back; false when the entry is gone or another process holds it. */
  renew(id: string, owner: string, now: number, leaseUntil: number): Promise<boolean>;
  /** Delivered, or given up on. */
  remove(id: string): Promise<void>;
  /** Not delivered: released, due again at `nextAt`. */
  later(id: string, tries: number, nextAt: number, lastError: string): Promise<void>;
  /** Removes entries raised before `before`, whatever their target; returns how many. */
  purge(before: number): Promise<number>;
}

/** A webhook's name in the outbox: a digest of its URL, which a config can carry to every replica. */
export function webhookTargetId(url: string): string {
  return createHash('sha256').update(url).digest('hex').slice(0, 24);
}

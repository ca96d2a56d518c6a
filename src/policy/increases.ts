import { newRequestId } from '../core/ids.js';
import { formatUsd } from '../core/money.js';
import type { PolicyStore } from '../storage/ports.js';
import type { Increase } from './rules.js';
import { formatScope } from './scope.js';

export interface IncreaseEvents {
  requested(i: Increase): void;
  decided(i: Increase): void;
  expired(i: Increase): void;
}

export type IncreaseRequest = Pick<Increase, 'scope' | 'budgetId' | 'amountPicos' | 'hours' | 'reason' | 'requestedBy'>;

/** An approved increase lasts 90 days at most. */
export const MAX_INCREASE_HOURS = 24 * 90;

/**
 * Consent to exceed: a developer asks for a temporary increase, an approver approves or
 * denies it, and an approved increase lapses by itself. Every step is audited; decisions
 * are compare-and-set, so two approvers (or replicas) cannot both decide one request.
 */
export class IncreaseService {
  private readonly store: PolicyStore;
  private readonly events: IncreaseEvents;
  private readonly now: () => number;

  constructor(store: PolicyStore, events: IncreaseEvents, now: () => number = Date.now) {
    this.store = store;
    this.events = events;
    this.now = now;
  }

  async request(r: IncreaseRequest): Promise<Increase> {
    if (r.amountPicos <= 0n) throw new RangeError('amount must be more than 0');
    if (!Number.isInteger(r.hours) || r.hours < 1 || r.hours > MAX_INCREASE_HOURS) throw new RangeError(`hours must be a whole number from 1 to ${MAX_INCREASE_HOURS}`);
    if (!r.reason.trim()) throw new RangeError('a reason is required: approvers see it');
    const at = this.now();
    const inc: Increase = { id: `inc_${newRequestId(at).replace(/-/g, '')}`, ...r, reason: r.reason.trim(), status: 'pending', createdAt: at, decidedAt: null, decidedBy: null, note: null, expiresAt: null };
    await this.store.createIncrease(inc);
    await this.audit(r.requestedBy, 'increase.request', inc, { amount_usd: formatUsd(r.amountPicos), hours: r.hours, reason: inc.reason });
    this.events.requested(inc);
    return inc;
  }

  async decide(id: string, approve: boolean, actor: string, note: string | null): Promise<Increase> {
    const at = this.now();
    const existing = await this.store.getIncrease(id);
    if (!existing) throw new RangeError(`no increase request ${id}`);
    if (existing.status !== 'pending') throw new RangeError(`increase ${id} is already ${existing.status}`);
    const done = await this.store.transitionIncrease(id, 'pending', {
      status: approve ? 'approved' : 'denied',
      decidedAt: at,
      decidedBy: actor,
      note,
      expiresAt: approve ? at + existing.hours * 3_600_000 : null,
    });
    if (!done) throw new RangeError(`increase ${id} was decided by someone else meanwhile`);
    await this.audit(actor, approve ? 'increase.approve' : 'increase.deny', done, { note });
    this.events.decided(done);
    return done;
  }

  /** Marks approved increases past their end as expired (once, whichever replica gets there first). */
  async expireDue(): Promise<Increase[]> {
    const at = this.now();
    const due = (await this.store.listIncreases({ status: 'approved' })).filter((i) => i.expiresAt !== null && i.expiresAt <= at);
    const expired: Increase[] = [];
    for (const i of due) {
      const done = await this.store.transitionIncrease(i.id, 'approved', { status: 'expired' });
      if (!done) continue;
      await this.audit('tollgate', 'increase.expire', done, {});
      this.events.expired(done);
      expired.push(done);
    }
    return expired;
  }

  private audit(actor: string, action: string, i: Increase, details: Record<string, unknown>): Promise<void> {
    const at = this.now();
    return this.store.appendAudit({ id: `aud_${newRequestId(at).replace(/-/g, '')}`, ts: at, actor, action, subject: `increase:${i.id} ${formatScope(i.scope)}`, details });
  }
}

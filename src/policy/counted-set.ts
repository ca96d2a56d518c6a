import { createHash } from 'node:crypto';
import type { Budget } from './rules.js';

const tags = new WeakMap<Budget, string>();

/**
 * A short stable hash of what decides which ledger rows a budget's counter counts (see
 * counterFromLedger): its kind, and for a budget its scope and the pool whose payments it
 * leaves out. A pool counts the rows it paid for, which its id alone names. Counter keys
 * carry it, so a rule kept under its id but counting other rows (user:bob moved to
 * user:carol) gets a fresh counter from the ledger instead of the old rows' spend, and the
 * old counter expires unread. The limit, thresholds and the rest are left out on purpose:
 * raising a limit must keep the spend counted so far.
 */
export function countedSet(b: Budget): string {
  let tag = tags.get(b);
  if (tag === undefined) {
    const basis = b.kind === 'pool' ? ['pool'] : ['budget', b.scope.kind, b.scope.kind === 'model' ? b.scope.value.toLowerCase() : b.scope.value, b.pool ?? ''];
    tag = createHash('sha256').update(JSON.stringify(basis)).digest('hex').slice(0, 10);
    tags.set(b, tag);
  }
  return tag;
}

import type { LedgerRow } from '../core/ledger-row.js';
import { GATEWAY_SOURCE } from '../storage/cross-source.js';
import type { LedgerStore } from '../storage/ports.js';
import type { LedgerSink } from './ledger-sink.js';

/** A row of a request this gateway served: its spend reached the budgets when its reservation settled. */
export const settledAtAdmission = (r: LedgerRow): boolean => r.source === GATEWAY_SOURCE;

/**
 * A sink for a gateway whose budgets count spend: the rows it did not serve (OpenTelemetry calls
 * reported to its receiver) are inserted with budget charges, which the budgets' catch-up adds to
 * the counters once, on whichever replica takes them (src/policy/import-charges.ts). A copy of a
 * row already stored is not inserted, so not charged again. Without it their spend reached the
 * counters only when a restart rebuilt them from the ledger.
 */
export function chargingSink(ledger: Pick<LedgerStore, 'insert' | 'insertCharged' | 'ping'>): LedgerSink {
  return {
    async insert(rows) {
      if (rows.every(settledAtAdmission)) return ledger.insert(rows);
      const served = rows.filter(settledAtAdmission);
      const reported = rows.filter((r) => !settledAtAdmission(r));
      // Inserts skip an id already stored: a batch retried after one of the two failed is not counted twice.
      return (served.length > 0 ? await ledger.insert(served) : 0) + (await ledger.insertCharged(reported));
    },
    ping: () => ledger.ping(),
  };
}

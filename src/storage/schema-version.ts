import { SetupError } from '../core/errors.js';
import type { TypeMap } from './ddl.js';
import { migrations } from './migrations.js';

/**
 * A ledger migrated by a newer Tollgate: this build would ignore what that one records (a key's
 * expiry, alerts waiting in the outbox), so it refuses to open it rather than run on half of it.
 */
export class SchemaTooNew extends SetupError {
  override readonly name = 'SchemaTooNew';
  constructor(stored: number, known: number) {
    super(`the ledger's schema is version ${stored}, newer than this Tollgate's ${known}: a newer Tollgate has upgraded it. Upgrade this one (every replica on a shared ledger must run the newer version).`);
  }
}

/** Throws SchemaTooNew when `stored` is a version this build does not have. */
export function checkSchemaVersion(stored: number, t: TypeMap): void {
  const all = migrations(t);
  const known = all[all.length - 1]!.version;
  if (stored > known) throw new SchemaTooNew(stored, known);
}

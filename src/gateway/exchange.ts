import type { CacheSettings, cacheRuleMatcher } from '../cache-analysis/gateway.js';
import type { Admission, BatchAdmission } from '../policy/admission.js';
import type { RulePlan } from '../routing/rules/plan.js';
import type { BodyHold } from './body-room.js';
import type { UpstreamProvider } from './select-provider.js';
import type { UploadExchange } from './upload.js';

/** The provider a request is served by, as budgets price it. */
export interface Served {
  provider: string;
  catalogProvider: string | undefined;
  upstream: UpstreamProvider;
}

/** What an upload takes (upload.ts), and what the rest of the request's way needs besides. */
export interface Exchange extends UploadExchange {
  held: Held;
  cache: CacheSettings;
  cacheMatch: ReturnType<typeof cacheRuleMatcher>;
}

/** What a request holds until its end (request-end.ts `requestFinish`). */
export interface Held {
  admission?: Admission<Served>;
  /** The body's bytes, when its caller has no Tollgate key: given back once the provider answers, or at the end. */
  body?: BodyHold;
  /** A batch's creation: its estimate held on budgets until the row is recorded. */
  batch?: BatchAdmission;
  route?: RulePlan;
}

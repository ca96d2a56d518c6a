import { type SqlDialect, type SqlRunner, aggregate } from './aggregate.js';
import { callerTotals, exampleRequestIds, failedRequestIds, longRequests, repeatedSteps, requestPoints, tieredRequests } from './points.js';
import type { LedgerStore } from './ports.js';
import { releaseCacheUse } from './release-use.js';
import { geminiCacheTokens, responseContext } from './response-context.js';
import { ruleTotals } from './rule-totals.js';
import { sessionHours } from './session-hours.js';
import { topShare } from './top-share.js';
import { warmCacheUse } from './warm-cache.js';

type SharedReads = Pick<LedgerStore, 'aggregate' | 'topShare' | 'ruleTotals' | 'longRequests' | 'tieredRequests' | 'requestPoints' | 'repeatedSteps' | 'callerTotals' | 'warmCacheUse' | 'releaseCacheUse' | 'sessionHours' | 'failedRequestIds' | 'exampleRequestIds' | 'responseContext' | 'geminiCacheTokens'>;

/** The ledger's reads written once in SQL both engines run: each engine's store binds them to its runner and dialect. */
export function sqlReads(run: SqlRunner, d: SqlDialect): SharedReads {
  const param = (i: number) => d.param(i);
  return {
    aggregate: (q) => aggregate(run, d, q),
    topShare: (q) => topShare(run, d, q),
    ruleTotals: (f) => ruleTotals(run, d, f),
    longRequests: (f) => longRequests(run, d, f),
    tieredRequests: (f) => tieredRequests(run, d, f),
    requestPoints: (filter) => requestPoints(run, param, filter),
    repeatedSteps: (filter, minRepeats) => repeatedSteps(run, param, filter, minRepeats),
    callerTotals: (filter) => callerTotals(run, param, filter),
    warmCacheUse: (range, o) => warmCacheUse(run, d, range, o.tag, o.ttlMs),
    releaseCacheUse: (range, o) => releaseCacheUse(run, d, range, o.tag, o.value),
    sessionHours: (range) => sessionHours(run, param, range),
    failedRequestIds: (filter, caller, limit) => failedRequestIds(run, param, filter, caller, limit),
    exampleRequestIds: (filter, subject, order, limit) => exampleRequestIds(run, d, filter, subject, order, limit),
    responseContext: (responseId, since, until) => responseContext(run, param, responseId, since, until),
    geminiCacheTokens: (name, since, until) => geminiCacheTokens(run, param, name, since, until),
  };
}

import type { MarkKind } from '../health.js';
import type { RateSnapshot } from '../rate-limits.js';

/** A deployment out of rotation until `until` (ms since the epoch), as one replica saw it. */
export interface HealthMark {
  deployment: string;
  kind: MarkKind;
  until: number;
}

/** A deployment's rate-limit headers as one replica last read them (`at`), and a 429's pause. */
export interface RateMark {
  deployment: string;
  /** When the headers were read (ms since the epoch): the later of two marks wins. */
  at: number;
  snapshot: RateSnapshot;
  /** A 429 asked for a pause until then (0 for none). */
  blockedUntil: number;
  /** That 429's rate-limit headers, which another replica's own 429 passes on while the pause lasts. */
  headers?: Readonly<Record<string, string>>;
}

/**
 * Where replicas share deployment health, and the rate-limit view each one last had. One process needs none (its own view is the
 * whole truth); replicas share marks in Redis. The gateway never waits on it on a
 * request's path: it publishes in the background and reads on a timer into a local copy.
 * The contract suite (contract.ts) runs against both adapters.
 */
export interface HealthStore {
  /** Publishes that a deployment is out until `until`; a later `until` for it replaces an earlier one. */
  mark(m: HealthMark): Promise<void>;
  /** The deployment is healthy again (a breaker closed). */
  clear(deployment: string): Promise<void>;
  /** Marks still in force at `now` for these deployments. */
  read(deployments: readonly string[], now: number): Promise<HealthMark[]>;
  /** Publishes rate-limit views; for each deployment a later `at` replaces an earlier one. They lapse after their last reset. */
  shareRates(marks: readonly RateMark[], now: number): Promise<void>;
  /** The latest rate-limit view of each of these deployments still in force. */
  readRates(deployments: readonly string[], now: number): Promise<RateMark[]>;
  close(): Promise<void>;
}

import type { MarkKind } from '../health.js';

/** A deployment out of rotation until `until` (ms since the epoch), as one replica saw it. */
export interface HealthMark {
  deployment: string;
  kind: MarkKind;
  until: number;
}

/**
 * Where replicas share deployment health. One process needs none (its own view is the
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
  close(): Promise<void>;
}

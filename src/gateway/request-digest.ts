import { estimateInputTokens } from '../metering/estimate.js';
import { lastTurnHash } from '../metering/last-turn.js';
import type { RequestFacts } from '../metering/build-row.js';

/**
 * What the ledger row needs from a parsed request body: its prompt prefix's hashes, its last
 * turn's hash and an estimate of its input tokens (for a stream that dies before usage
 * arrives; undefined without a body). Worked out once, by `run` (the gateway calls it while the upstream thinks),
 * after which the body is let go: an agent's prompt is hundreds of kilobytes parsed, and a
 * stream may stay open for minutes.
 */
export function requestDigest(json: unknown, facts: RequestFacts): { run: () => void; inputEstimate: () => number | undefined } {
  let body: unknown = json;
  let done = false;
  let estimate: number | undefined;
  const run = () => {
    if (done) return;
    done = true;
    // Each part on its own: a body nested deeper than the stack (valid JSON, which V8 parses)
    // makes the walkers throw. The part is then unknown; the row is recorded all the same.
    facts.prefix?.(); // guarded where it is made (cache-analysis/gateway.ts)
    facts.lastTurnHash = attempt(() => lastTurnHash(body)) ?? null;
    estimate = body === undefined ? undefined : attempt(() => estimateInputTokens(body));
    body = undefined;
  };
  return {
    run,
    inputEstimate: () => {
      run();
      return estimate;
    },
  };
}

function attempt<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}

import type { Picos } from '../core/money.js';
import type { RequestPoint } from '../storage/ports.js';
import { reportPath, spanText, usdText } from './evidence.js';
import type { Detection, LoopSettings } from './types.js';

/** One request as the loop detector needs it; `requestHash` is the hash of its last turn, when known. */
export interface LoopObservation {
  sessionId: string;
  ts: number;
  inputTokens: number;
  outputTokens: number;
  toolCalls: number;
  requestHash?: string | undefined;
  /** For the dollar figure and the evidence; optional for callers that only have usage. */
  id?: string;
  costPicos?: Picos;
  /** Whose session it is (`user:bob`, else `key:…`), named in the alert. */
  identity?: string | undefined;
}

/**
 * An agent loop: in one session, the same step (the same last turn, by hash; without a
 * hash, the same tool-call count and output length) sent `minRepeats` times or more in a
 * row of strictly growing context. Growing context is what makes a loop expensive: each
 * repeat pays for all the earlier ones again.
 */
export function agentLoops(observations: readonly LoopObservation[], now: number, s: LoopSettings): Detection[] {
  const start = now - s.windowMs;
  const bySession = new Map<string, LoopObservation[]>();
  for (const o of observations) {
    if (o.sessionId === '' || o.ts < start || o.ts >= now) continue;
    const list = bySession.get(o.sessionId);
    if (list) list.push(o);
    else bySession.set(o.sessionId, [o]);
  }
  const out: Detection[] = [];
  for (const [session, list] of bySession) {
    const bySignature = new Map<string, LoopObservation[]>();
    for (const o of [...list].sort((a, b) => a.ts - b.ts)) {
      const sig = signature(o);
      if (sig === undefined) continue;
      const l = bySignature.get(sig);
      if (l) l.push(o);
      else bySignature.set(sig, [o]);
    }
    for (const [sig, steps] of bySignature) {
      const run = longestGrowingRun(steps);
      if (run.length < s.minRepeats) continue;
      const repeats = run.slice(1);
      const excess = repeats.reduce((acc, o) => acc + (o.costPicos ?? 0n), 0n);
      const first = run[0]!;
      const last = run[run.length - 1]!;
      out.push({
        detector: 'agent_loop',
        subject: `session:${session}`,
        windowStart: first.ts,
        windowEnd: now,
        severity: run.length >= 2 * s.minRepeats ? 'critical' : 'warning',
        excessPicos: excess,
        message: `Session ${session}${first.identity ? ` (${first.identity})` : ''} repeated the same ${sig.startsWith('h:') ? 'request' : 'tool call'} ${run.length} times in ${spanText(last.ts - first.ts)} while its context grew from ${first.inputTokens.toLocaleString('en-US')} to ${last.inputTokens.toLocaleString('en-US')} tokens (${usdText(excess)} on the repeats).`,
        evidence: { report: reportPath(first.ts, now, ['session']), requestIds: run.flatMap((o) => (o.id ? [o.id] : [])).slice(0, 5), sessionIds: [session] },
        key: `agent_loop:${session}:${sig}`,
      });
    }
  }
  return out;
}

/** The ledger's request points as loop observations (requests outside a session cannot loop). */
export function loopObservations(points: readonly RequestPoint[]): LoopObservation[] {
  return points.flatMap((p) =>
    p.sessionId ? [{ sessionId: p.sessionId, ts: p.ts, inputTokens: p.inputTokens, outputTokens: p.outputTokens, toolCalls: p.toolCalls, requestHash: p.lastTurnHash ?? undefined, id: p.id, costPicos: p.costPicos, identity: identityOf(p) }] : [],
  );
}

/** The user, else the key, as the runaway-session detector names a session's identity. */
function identityOf(p: RequestPoint): string | undefined {
  if (p.user) return `user:${p.user}`;
  return p.keyId ? `key:${p.keyId}` : undefined;
}

// Storage `repeatedSteps` spells the same signature in SQL: change both together.
function signature(o: LoopObservation): string | undefined {
  if (o.requestHash) return `h:${o.requestHash}`;
  return o.toolCalls > 0 ? `t:${o.toolCalls}:${o.outputTokens}` : undefined;
}

/** The longest stretch of consecutive steps whose input grows every time. */
function longestGrowingRun(steps: readonly LoopObservation[]): LoopObservation[] {
  let best: LoopObservation[] = [];
  let cur: LoopObservation[] = [];
  for (const o of steps) {
    if (cur.length > 0 && o.inputTokens <= cur[cur.length - 1]!.inputTokens) cur = [];
    cur.push(o);
    if (cur.length > best.length) best = [...cur];
  }
  return best;
}

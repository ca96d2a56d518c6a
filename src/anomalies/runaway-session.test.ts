import { describe, expect, it } from 'vitest';
import { runawaySessions, type SessionSpend } from './runaway-session.js';
import { quantile } from './stats.js';
import { Workload } from './testing/synthetic.js';
import { defaultAnomalySettings } from './types.js';

const s = defaultAnomalySettings().detectors.runaway_session;
const NOW = Date.UTC(2026, 10, 18, 15, 2);
const MIN = 60_000;
const USD = 1_000_000_000_000;
/** The heavy identity's usual burn while active: about $3 every 5 minutes ($36/h), in sessions of 5 to 20 minutes. */
const CHUNK = 3 * USD;

/**
 * Two weeks of session-hours: a heavy user whose sessions are short bursts (their span known),
 * and ten ordinary users whose sessions fill their hours at $0.50 to $4 an hour.
 */
function history(w: Workload): SessionSpend[] {
  const out: SessionSpend[] = [];
  for (let k = 0; k < 150; k++) {
    const chunks = 1 + Math.floor(w.random() * 4);
    let cost = 0;
    for (let c = 0; c < chunks; c++) cost += CHUNK * Math.exp(0.5 * w.normal());
    out.push({ sessionId: `heavy-${k}`, identity: 'user:heavy', costPicos: BigInt(Math.round(cost)), tokens: Math.round(cost / 10_000_000), activeMs: chunks * 5 * MIN - Math.floor(w.random() * 4 * MIN) });
  }
  for (let u = 0; u < 10; u++) {
    for (let k = 0; k < 40; k++) {
      const cost = (0.5 + w.random() * 3.5) * USD;
      out.push({ sessionId: `u${u}-${k}`, identity: `user:u${u}`, costPicos: BigInt(Math.round(cost)), tokens: Math.round(cost / 10_000_000), activeMs: 40 * MIN + Math.floor(w.random() * 19 * MIN) });
    }
  }
  return out;
}

/** A live session of the heavy user: one 5-minute window at its usual rate (with its noise), or at exactly `boost` × its median rate. */
function live(w: Workload, id: string, boost?: number): SessionSpend {
  const cost = CHUNK * (boost ?? Math.exp(0.5 * w.normal()));
  return { sessionId: id, identity: 'user:heavy', costPicos: BigInt(Math.round(cost)), tokens: Math.round(cost / 10_000_000) };
}

const unknownSpans = (h: readonly SessionSpend[]) => h.map(({ activeMs: _, ...rest }) => rest);

describe('runaway session, short heavy sessions', () => {
  it('does not flag a heavy user’s ordinary 5-to-20-minute bursts at their usual rate', () => {
    let raised = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const w = new Workload(seed);
      const recent = Array.from({ length: 10 }, (_, i) => live(w, `live-${i}`));
      raised += runawaySessions({ recent, history: history(w) }, NOW, s).length;
    }
    expect(raised).toBe(0);
  });

  it('flags the heavy user’s session burning 15× its usual rate in its first window', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const w = new Workload(seed);
      const past = history(w);
      const found = runawaySessions({ recent: [live(w, 'calm'), live(w, 'runaway', 15)], history: past }, NOW, s);
      expect(found.map((x) => x.subject), `seed ${seed}`).toEqual(['session:runaway']);
    }
  });

  it('judges session-hours whose span is unknown as whole hours, as before: the same bursts are then flagged against the hourly p95', () => {
    let raised = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const w = new Workload(seed);
      const past = unknownSpans(history(w));
      const recent = Array.from({ length: 10 }, (_, i) => live(w, `live-${i}`));
      const found = runawaySessions({ recent, history: past }, NOW, s);
      raised += found.length;
      if (found.length === 0) continue;
      const p95 = quantile(past.filter((h) => h.identity === 'user:heavy').map((h) => Number(h.costPicos) / USD), 0.95);
      expect(found[0]!.message).toContain(`its usual p95 is $${p95.toFixed(2)}/h`);
      // A span of a whole hour is the same as none.
      expect(runawaySessions({ recent, history: past.map((h) => ({ ...h, activeMs: 3_600_000 })) }, NOW, s)).toEqual(found);
    }
    if (process.env.TOLLGATE_PRINT_FP) console.log(`unknown spans: ${raised} of 200 ordinary bursts flagged`);
    expect(raised).toBeGreaterThan(20);
  });

  it('counts a past session-hour’s active time as at least the window: one request is not an instant', () => {
    const one = { sessionId: 'x', identity: 'user:a', costPicos: BigInt(2 * USD), tokens: 1000, activeMs: 0 };
    const past = Array.from({ length: 10 }, (_, i) => ({ ...one, sessionId: `p${i}` }));
    // $2 in one request, over a 5-minute window: $24/h; × 3 is the bar, which $70/h does not pass and $75/h does.
    const at = (usdPerHour: number) => runawaySessions({ recent: [{ ...one, sessionId: 'now', costPicos: BigInt(Math.round((usdPerHour / 12) * USD)) }], history: past }, NOW, s);
    expect(at(70)).toEqual([]);
    expect(at(75).map((x) => x.subject)).toEqual(['session:now']);
  });
});

import { describe, expect, it } from 'vitest';
import type { Detection } from '../anomalies/types.js';
import { reportPath } from '../anomalies/evidence.js';
import { type EvidenceSpec, evidenceSpec, readEvidenceLink, signEvidenceLink } from './evidence-link.js';
import { LINK_MS } from './signed-link.js';

const SECRET = 'a-long-random-signing-secret';
const AT = Date.UTC(2026, 10, 18, 14, 15);
const EXP = AT + LINK_MS;

const detection: Detection = {
  detector: 'retry_storm',
  subject: 'key:key_storm',
  windowStart: AT - 600_000,
  windowEnd: AT,
  severity: 'warning',
  excessPicos: 1_230_000_000_000n,
  message: 'key:key_storm sent 60 requests in 10 min: 60 failed (100%) & 60 were retried <upstream> ($1.23 spent on failures).',
  evidence: { report: reportPath(AT - 600_000, AT, ['key', 'client', 'api']), requestIds: ['storm-1', 'storm,2', 'storm 3'], sessionIds: ['s/1'] },
  key: 'retry_storm:key:key_storm:1',
};

function link(spec: EvidenceSpec = evidenceSpec(detection, AT, false)): URL {
  return new URL(signEvidenceLink('https://tollgate.example/gw/', SECRET, spec));
}

describe('signed evidence links', () => {
  it('carry the whole detection under the public URL and read back as it was', () => {
    const u = link();
    expect(`${u.origin}${u.pathname}`).toBe('https://tollgate.example/gw/evidence');
    const read = readEvidenceLink(SECRET, u.searchParams, AT);
    expect(read).toEqual({
      check: 'ok',
      spec: {
        detector: 'retry_storm',
        subject: 'key:key_storm',
        severity: 'warning',
        windowStart: AT - 600_000,
        windowEnd: AT,
        detectedAt: AT,
        foundLate: false,
        excessPicos: 1_230_000_000_000n,
        message: detection.message,
        report: { since: AT - 600_000, until: AT, by: ['key', 'client', 'api'] },
        requestIds: ['storm-1', 'storm,2', 'storm 3'],
        sessionIds: ['s/1'],
      },
    });
  });

  it('keep a late finding late', () => {
    const read = readEvidenceLink(SECRET, link(evidenceSpec(detection, AT + 3_600_000, true)).searchParams, AT);
    expect(read.check === 'ok' && read.spec.foundLate && read.spec.detectedAt).toBe(AT + 3_600_000);
  });

  it('expire after the week they are given', () => {
    expect(readEvidenceLink(SECRET, link().searchParams, EXP - 1).check).toBe('ok');
    expect(readEvidenceLink(SECRET, link().searchParams, EXP).check).toBe('expired');
  });

  it('refuse any change to what they show, their expiry or their signature', () => {
    const changes: [string, (q: URLSearchParams) => void][] = [
      ['subject', (q) => q.set('s', 'key:key_other')],
      ['report dimensions', (q) => q.set('by', 'user')],
      ['report window', (q) => q.set('since', String(AT - 86_400_000))],
      ['an added request', (q) => q.append('r', 'someone-else')],
      ['a dropped session', (q) => q.delete('ss')],
      ['message', (q) => q.set('m', 'all is well')],
      ['amount', (q) => q.set('x', '1')],
      ['late flag', (q) => q.set('late', '1')],
      ['expiry', (q) => q.set('exp', String(EXP + 86_400_000))],
      ['signature', (q) => q.set('sig', (q.get('sig')!.startsWith('A') ? 'B' : 'A') + q.get('sig')!.slice(1))],
      ['no signature', (q) => q.delete('sig')],
      ['unknown detector', (q) => q.set('d', 'nothing')],
      ['unknown dimension', (q) => q.set('by', 'key,colour')],
      ['a time that is not a number', (q) => q.set('from', '1e3')],
    ];
    for (const [what, change] of changes) {
      const q = link().searchParams;
      change(q);
      expect(readEvidenceLink(SECRET, q, AT).check, what).toBe('bad_signature');
    }
    expect(readEvidenceLink('another-secret-of-some-length', link().searchParams, AT).check).toBe('bad_signature');
    expect(readEvidenceLink(SECRET, new URLSearchParams(), AT).check).toBe('bad_signature');
  });

  it('call a tampered expired link bad, not expired', () => {
    const q = link().searchParams;
    q.set('s', 'key:other');
    expect(readEvidenceLink(SECRET, q, EXP + 1).check).toBe('bad_signature');
  });
});

import { type Server, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { signDecisionLink } from '../alerts/signed-link.js';
import { usd } from '../core/money.js';
import type { Increase } from '../policy/rules.js';
import { type ApprovalLinkDeps, handleApprovalLink } from './approval-link.js';

const SECRET = 'a-long-random-signing-secret';
const NOW = Date.parse('2026-11-20T09:00:00Z');
const EXP = NOW + 7 * 86_400_000;

function pending(id = 'inc_1'): Increase {
  return {
    id,
    scope: { kind: 'team', value: 'platform' },
    budgetId: null,
    amountPicos: usd('250'),
    hours: 8,
    reason: 'release <script>alert(1)</script> week',
    requestedBy: 'alice',
    status: 'pending',
    createdAt: NOW - 60_000,
    decidedAt: null,
    decidedBy: null,
    note: null,
    expiresAt: null,
  };
}

/** An in-memory store that decides like the increase service: once, compare-and-set. */
function fakeDeps(over: Partial<ApprovalLinkDeps> = {}) {
  const increases = new Map([['inc_1', pending()]]);
  const decisions: { id: string; approve: boolean; actor: string; note: string | null }[] = [];
  const deps: ApprovalLinkDeps = {
    secret: SECRET,
    now: () => NOW,
    getIncrease: (id) => Promise.resolve(increases.get(id)),
    decide: (id, approve, actor, note) => {
      const i = increases.get(id);
      if (!i) return Promise.reject(new RangeError(`no increase request ${id}`));
      if (i.status !== 'pending') return Promise.reject(new RangeError(`increase ${id} is already ${i.status}`));
      decisions.push({ id, approve, actor, note });
      const done: Increase = { ...i, status: approve ? 'approved' : 'denied', decidedAt: NOW, decidedBy: actor, note, expiresAt: approve ? NOW + i.hours * 3_600_000 : null };
      increases.set(id, done);
      return Promise.resolve(done);
    },
    ...over,
  };
  return { deps, decisions, increases };
}

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  server = undefined;
});

async function serve(deps: ApprovalLinkDeps): Promise<string> {
  const s = createServer((req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    void handleApprovalLink(deps, req, res, q < 0 ? url : url.slice(0, q), new URLSearchParams(q < 0 ? '' : url.slice(q + 1)));
  });
  server = s;
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

async function call(url: string, init?: RequestInit): Promise<{ status: number; html: string; headers: Headers }> {
  const res = await fetch(url, init);
  return { status: res.status, html: await res.text(), headers: res.headers };
}

/** A body without content-length, so only counting the bytes can stop it. */
function chunkedPost(link: string, bytes: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'transfer-encoding': 'chunked' } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    for (let sent = 0; sent < bytes; sent += 1024) req.write('n'.repeat(1024));
    req.end();
  });
}

const post = (note?: string): RequestInit => ({ method: 'POST', body: new URLSearchParams(note === undefined ? {} : { note }) });

describe('signed approval links', () => {
  it('GET shows the request and a form, and decides nothing', async () => {
    const { deps, decisions } = fakeDeps();
    const link = signDecisionLink(await serve(deps), SECRET, 'inc_1', 'approve', EXP);
    const r = await call(link);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(r.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(r.headers.get('referrer-policy')).toBe('no-referrer');
    expect(r.html).toContain('Approve this increase?');
    expect(r.html).toContain('$250.00');
    expect(r.html).toContain('team:platform');
    expect(r.html).toContain('8 hours');
    expect(r.html).toContain('release &#60;script&#62;alert(1)&#60;/script&#62; week');
    expect(r.html).not.toContain('<script');
    const sig = new URL(link).searchParams.get('sig')!;
    expect(r.html).toContain(`<form method="post" action="approve?exp=${EXP}&#38;sig=${sig}">`);
    expect(r.html).toContain('name="note"');
    expect(decisions).toEqual([]);
  });

  it('with show_amounts off, the pages leave the amount out, as the alert does', async () => {
    const { deps } = fakeDeps({ showAmounts: false });
    const link = signDecisionLink(await serve(deps), SECRET, 'inc_1', 'approve', EXP);
    const shown = await call(link);
    expect(shown.html).toContain('team:platform');
    expect(shown.html).not.toContain('$');
    expect((await call(link, post())).html).not.toContain('$');
  });

  it('POST decides once; a second POST gets 409 with the status', async () => {
    const { deps, decisions } = fakeDeps();
    const link = signDecisionLink(await serve(deps), SECRET, 'inc_1', 'approve', EXP);
    const first = await call(link, post('  fine for release week '));
    expect(first.status).toBe(200);
    expect(first.html).toContain('<h1>Approved</h1>');
    expect(first.html).toContain('approved by signed-link at 2026-11-20 09:00 UTC, until 2026-11-20 17:00 UTC');
    expect(decisions).toEqual([{ id: 'inc_1', approve: true, actor: 'signed-link', note: 'fine for release week' }]);
    const second = await call(link, post());
    expect(second.status).toBe(409);
    expect(second.html).toContain('Already approved');
    expect(decisions).toHaveLength(1);
    // GET of a decided request shows where it stands, without a form.
    const look = await call(link);
    expect(look.status).toBe(409);
    expect(look.html).not.toContain('<form');
  });

  it('denies through a deny link, with no note', async () => {
    const { deps, decisions } = fakeDeps();
    const r = await call(signDecisionLink(await serve(deps), SECRET, 'inc_1', 'deny', EXP), post(''));
    expect(r.status).toBe(200);
    expect(r.html).toContain('<h1>Denied</h1>');
    expect(decisions).toEqual([{ id: 'inc_1', approve: false, actor: 'signed-link', note: null }]);
  });

  it('refuses tampered and expired links with 403', async () => {
    const { deps, decisions } = fakeDeps();
    const base = await serve(deps);
    const link = signDecisionLink(base, SECRET, 'inc_1', 'approve', EXP);
    const tampered = link.replace(/sig=./, (m) => (m.endsWith('A') ? 'sig=B' : 'sig=A'));
    expect((await call(tampered, post())).status).toBe(403);
    const swapped = link.replace('/approve?', '/deny?');
    const bad = await call(swapped, post());
    expect(bad.status).toBe(403);
    expect(bad.html).toContain('This link is not valid');
    expect((await call(`${base}/approvals/inc_1/approve`)).status).toBe(403);
    const expired = await call(signDecisionLink(base, SECRET, 'inc_1', 'approve', NOW - 1), post());
    expect(expired.status).toBe(403);
    expect(expired.html).toContain('This link has expired');
    expect(expired.html).toContain('tollgate budgets approve inc_1');
    expect(decisions).toEqual([]);
  });

  it('answers 404 for an unknown request, a wrong path, or when links are off', async () => {
    const { deps } = fakeDeps();
    const base = await serve(deps);
    expect((await call(signDecisionLink(base, SECRET, 'inc_404', 'approve', EXP))).status).toBe(404);
    expect((await call(`${base}/approvals/inc_1/maybe?exp=1&sig=x`)).status).toBe(404);
    deps.secret = undefined;
    const off = await call(signDecisionLink(base, SECRET, 'inc_1', 'approve', EXP));
    expect(off.status).toBe(404);
    expect(off.html).toContain('Approval links are off');
  });

  it('says 409 when someone else decided between the page and the button', async () => {
    const { deps, increases } = fakeDeps();
    const link = signDecisionLink(await serve(deps), SECRET, 'inc_1', 'approve', EXP);
    increases.set('inc_1', { ...pending(), status: 'denied', decidedBy: 'carol', decidedAt: NOW });
    // The first look still sees it pending; decide() then finds it decided.
    let looks = 0;
    deps.getIncrease = (id) => Promise.resolve(looks++ === 0 ? pending(id) : increases.get(id));
    const r = await call(link, post());
    expect(r.status).toBe(409);
    expect(r.html).toContain('already denied by carol');
  });

  it('renders 500 without details when deciding fails unexpectedly', async () => {
    const { deps } = fakeDeps({ decide: () => Promise.reject(new Error('database is locked at /var/lib/secret.db')) });
    const r = await call(signDecisionLink(await serve(deps), SECRET, 'inc_1', 'approve', EXP), post());
    expect(r.status).toBe(500);
    expect(r.html).toContain('Something went wrong');
    expect(r.html).not.toContain('database');
  });

  it('refuses other methods and bodies over 16 KB', async () => {
    const { deps, decisions } = fakeDeps();
    const link = signDecisionLink(await serve(deps), SECRET, 'inc_1', 'approve', EXP);
    const put = await call(link, { method: 'PUT' });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('GET, HEAD, POST');
    expect((await call(link, post('x'.repeat(17 * 1024)))).status).toBe(413);
    expect(await chunkedPost(link, 20 * 1024)).toBe(413);
    const head = await call(link, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.html).toBe('');
    expect(decisions).toEqual([]);
  });
});

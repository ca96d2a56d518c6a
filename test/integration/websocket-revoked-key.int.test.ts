import { describe, expect, it } from 'vitest';
import { createKey } from '../../src/identity/key-service.js';
import { useHarness } from '../support/harness.js';
import { openSocket as open, until } from '../support/websocket.js';

/** The socket's close code, or `open` when it is still open after `ms`. */
function closedWithin(closed: Promise<number>, ms = 3000): Promise<number | 'open'> {
  return Promise.race([closed, new Promise<'open'>((r) => setTimeout(() => r('open'), ms))]);
}

/**
 * A socket outlives many requests (Codex holds one for a session): a key revoked, or past its
 * expiry, while its socket is open must stop there, as its HTTP requests do.
 */
describe('a WebSocket whose key is revoked or expires while it is open', () => {
  const h = useHarness();

  it('refuses the next response.create with the key refusal, closes the socket and sends nothing more upstream', async () => {
    const key = await createKey(h.tollgate.storage.keys, { user: 'dana', team: 'platform', project: null });
    const s = await open(h.url, '/v1/responses', key.key);
    s.ws.send(JSON.stringify({ type: 'response.create', model: 'gpt-5', input: 'hi' }));
    await until(() => s.got.some((m) => m.includes('"response.completed"')));
    const revoked = await fetch(`${h.url}/admin/v1/keys/${key.id}/revoke`, { method: 'POST', headers: { authorization: 'Bearer admin-secret' } });
    expect(revoked.status).toBe(200);
    const sent = h.fake.requests.filter((r) => r.method === 'WS').length;
    const from = s.got.length;
    s.ws.send(JSON.stringify({ type: 'response.create', model: 'gpt-5', input: 'and more' }));
    expect(await closedWithin(s.closed)).toBe(1008);
    const error = s.got.slice(from).map((m) => JSON.parse(m) as { type: string; error?: { code?: string } }).find((m) => m.type === 'error');
    expect(error?.error?.code).toBe('revoked_api_key');
    expect(h.fake.requests.filter((r) => r.method === 'WS').length).toBe(sent);
  });

  it('closes a Realtime socket at the first client message after its key expired', async () => {
    const key = await createKey(h.tollgate.storage.keys, { user: 'erin', team: 'platform', project: null, expiresAt: Date.now() + 1500 });
    const s = await open(h.url, '/v1/realtime?model=gpt-realtime', key.key);
    // Past the expiry, and past the 2 s the gateway keeps a key it has looked up.
    await new Promise((r) => setTimeout(r, 2200));
    s.ws.send(JSON.stringify({ type: 'response.create' }));
    expect(await closedWithin(s.closed)).toBe(1008);
  });
});

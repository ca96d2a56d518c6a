import { describe, expect, it } from 'vitest';
import { useHarness } from '../support/harness.js';

/** A malformed attribution header refuses the request, after the key: a bad key is a 401 first, and the refusal row names the caller. */
describe('a malformed x-tollgate-tags header', () => {
  const h = useHarness();
  const post = (key: string) =>
    fetch(`${h.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'x-tollgate-tags': 'garbage;;=,workflow=a=b' },
      body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }),
    });

  it('is refused with 400 naming the bad pair, on a row that names the key holder; a bad key still answers 401', async () => {
    const r = await post(h.key.key);
    expect(r.status).toBe(400);
    expect(((await r.json()) as { error: { message: string } }).error.message).toContain('is not name=value');
    expect(await h.row(r.headers.get('x-tollgate-request-id')!)).toMatchObject({ status: 400, errorType: 'invalid_request', keyId: h.key.id, user: h.key.user, team: h.key.team });
    expect(h.fake.requests).toHaveLength(0);
    const bad = await post('tg_not_a_key');
    expect(bad.status).toBe(401);
    await bad.text();
  });
});

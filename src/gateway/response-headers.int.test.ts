import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../../test/support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

describe('a provider answer with x-tollgate-* headers of its own (another Tollgate upstream)', () => {
  it('reaches the client with this gateway request id, the one its row has, streamed or not', async () => {
    h.fake.setDefault({ headers: { 'x-tollgate-request-id': 'inner-gateway-id', 'x-tollgate-budget-remaining': '1000; scope=org' } });
    for (const stream of [false, true]) {
      const res = await request(`${h.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${h.key.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o-mini', stream, messages: [{ role: 'user', content: 'hi' }] }),
      });
      await res.body.dump();
      expect(res.statusCode).toBe(200);
      const id = String(res.headers['x-tollgate-request-id']);
      expect(id).not.toBe('inner-gateway-id');
      expect(await h.row(id)).toMatchObject({ id, outcome: 'ok' });
      expect(res.headers['x-tollgate-budget-remaining']).toBeUndefined();
    }
  });
});

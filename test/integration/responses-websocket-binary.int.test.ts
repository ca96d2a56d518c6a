import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { useHarness } from '../support/harness.js';

// A Responses WebSocket meters the `response.create` messages it reads, which are text: a binary
// frame would reach the upstream unread and its response go unrecorded, so it is refused.

async function open(url: string, key: string): Promise<{ ws: WebSocket; closed: Promise<{ code: number; reason: string }> }> {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/v1/responses`, { headers: { authorization: `Bearer ${key}` } });
  const closed = new Promise<{ code: number; reason: string }>((r) => ws.on('close', (code, reason) => r({ code, reason: reason.toString() })));
  await new Promise<void>((ok, fail) => {
    ws.once('open', () => ok());
    ws.once('error', fail);
  });
  return { ws, closed };
}

describe('a binary frame on the Responses WebSocket', () => {
  const h = useHarness();

  it('closes the socket with 1003 and goes nowhere, nor does what the client sends after it', async () => {
    h.fake.setDefault({ text: 'Hello there.', usage: { input: 100, output: 10 } });
    const s = await open(h.url, h.key.key);
    const create = JSON.stringify({ type: 'response.create', model: 'gpt-5', input: 'hi' });
    s.ws.send(Buffer.from(create), { binary: true });
    s.ws.send(create);
    expect(await s.closed).toEqual({ code: 1003, reason: 'Tollgate takes text frames only on this socket' });
    // Give anything wrongly forwarded time to be answered and recorded.
    await new Promise((r) => setTimeout(r, 200));
    expect(h.fake.requests.filter((r) => r.method === 'WS')).toEqual([]);
    expect(await h.rows()).toEqual([]);
  });
});

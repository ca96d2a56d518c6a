import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { useHarness } from '../support/harness.js';
import { until } from '../support/websocket.js';

// A Responses WebSocket meters the `response.create` messages it reads, which are text: a binary
// frame would reach the upstream unread and its response go unrecorded, so it is refused. A text
// message that is not a JSON object is no client event: it is answered here, not forwarded.

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

  it('answers a text message that is not a JSON object with an error event, forwards nothing, writes no row, and serves the next response.create', async () => {
    h.fake.setDefault({ text: 'Hello there.', usage: { input: 100, output: 10 } });
    const s = await open(h.url, h.key.key);
    const got: Record<string, unknown>[] = [];
    s.ws.on('message', (d: Buffer) => got.push(JSON.parse(d.toString()) as Record<string, unknown>));
    s.ws.send('hello, is this thing on?');
    s.ws.send('[{"type":"response.create"}]');
    s.ws.send(JSON.stringify({ type: 'response.create', model: 'gpt-5', input: 'hi' }));
    await until(() => got.some((m) => m.type === 'response.completed'));
    expect(got.slice(0, 2)).toEqual([
      { type: 'error', status: 400, error: expect.objectContaining({ type: 'invalid_request_error', code: 'invalid_json', message: 'This message is not valid JSON; nothing was sent upstream.' }) as unknown },
      { type: 'error', status: 400, error: expect.objectContaining({ type: 'invalid_request_error', code: 'invalid_request' }) as unknown },
    ]);
    s.ws.close();
    expect((await s.closed).code).toBe(1005);
    // Only the response.create went upstream, and it alone has a row, served as any other.
    const calls = h.fake.requests.filter((r) => r.method === 'WS');
    expect(calls.map((c) => (JSON.parse(c.body.toString()) as { type: string }).type)).toEqual(['response.create']);
    const rows = await h.rows();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ api: 'openai.responses', status: 200, outcome: 'ok', costPicos: expect.any(BigInt) as unknown });
  });
});

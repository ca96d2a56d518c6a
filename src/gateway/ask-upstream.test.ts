import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { askJson, askUpstream } from './ask-upstream.js';

/** A server answering each path with its own status and body; `/slow` never answers. */
let server: Server;
let base: string;
const agent = new Agent();
const seen: Record<string, string | undefined>[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ path: req.url, authorization: req.headers.authorization, accept: req.headers.accept });
    if (req.url === '/slow') return;
    const [status, body] = ({ '/ok': [200, '{"status":"completed"}'], '/list': [200, '[1,2]'], '/text': [200, 'not json'], '/gone': [404, '{}'], '/denied': [401, '{}'], '/forbidden': [403, '{}'], '/busy': [503, 'x'], '/limited': [429, 'x'] } as Record<string, [number, string]>)[req.url!] ?? [500, ''];
    res.writeHead(status, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((ok) => server.close(ok));
  await agent.close();
});

describe('askJson', () => {
  it('reads a 200 JSON object, sending the headers given and asking for JSON', async () => {
    expect(await askJson(agent, `${base}/ok`, { authorization: 'Bearer k' })).toEqual({ kind: 'json', body: { status: 'completed' } });
    expect(seen.at(-1)).toEqual({ path: '/ok', authorization: 'Bearer k', accept: 'application/json' });
  });

  it('takes 404, 401 and 403 as a thing the key cannot see, and anything else as a failed ask', async () => {
    for (const path of ['/gone', '/denied', '/forbidden']) expect(await askJson(agent, `${base}${path}`, {})).toEqual({ kind: 'unknown' });
    expect(await askJson(agent, `${base}/busy`, {})).toEqual({ kind: 'failed', reason: 'HTTP 503' });
    expect(await askJson(agent, `${base}/limited`, {})).toEqual({ kind: 'failed', reason: 'HTTP 429' });
    expect(await askJson(agent, `${base}/text`, {})).toEqual({ kind: 'failed', reason: 'the answer is not a JSON object' });
    expect(await askJson(agent, `${base}/list`, {})).toEqual({ kind: 'failed', reason: 'the answer is not a JSON object' });
  });

  it('fails, never throws, when nobody answers in time or nobody listens', async () => {
    expect((await askJson(agent, `${base}/slow`, {}, 100)).kind).toBe('failed');
    const refused = await askUpstream(agent, 'http://127.0.0.1:1/x', {});
    expect(refused.kind).toBe('failed');
  });
});

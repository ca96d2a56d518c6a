import { type IncomingMessage, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lastTurnHash } from '../metering/last-turn.js';
import { newFacts } from '../metering/build-row.js';
import { estimateInputTokens } from '../metering/estimate.js';
import { readBody } from './read-body.js';
import { requestDigest } from './request-digest.js';
import { lookupRoute } from '../providers/index.js';
import { openaiAdapter } from '../providers/openai/adapter.js';
import { relay } from './relay.js';
import { type UpstreamRequest, callUpstream } from './upstream.js';

// A long stream must not keep its request's body: these are the places that held it.

let received: { headers: IncomingMessage['headers']; body: Buffer }[] = [];
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    received.push({ headers: req.headers, body: Buffer.concat(chunks) });
    if (req.headers['x-answer'] === '429') {
      res.writeHead(429, { 'content-type': 'application/json' }).end('{"error":{"message":"slow down","type":"rate_limit"}}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 'c1', model: 'gpt-5', choices: [], usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 } }));
  });
});
const agent = new Agent();
let origin = '';

beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await agent.close();
  server.close();
});

function send(body: Buffer): Promise<UpstreamRequest> {
  const r: UpstreamRequest = { url: `${origin}/v1/chat/completions`, method: 'POST', headers: { 'content-type': 'application/json' }, body };
  return new Promise((resolve, reject) => {
    callUpstream(agent, r, { onHeaders: () => undefined, onData: () => undefined, onEnd: () => resolve(r), onError: reject });
  });
}

describe('the request body on its way upstream', () => {
  it('arrives whole, with its length declared, small or large, and the request no longer holds it', async () => {
    received = [];
    const small = Buffer.from('{"model":"gpt-5"}');
    const large = Buffer.from(JSON.stringify({ model: 'gpt-5', messages: [{ role: 'user', content: 'é'.repeat(100_000) }] }));
    for (const body of [small, large]) {
      const r = await send(body);
      expect(r.body).toBeUndefined();
    }
    expect([received[0]!.body.equals(small), received[1]!.body.equals(large)]).toEqual([true, true]);
    expect(received.map((x) => [x.headers['content-length'], x.headers['transfer-encoding']])).toEqual([
      [String(small.length), undefined],
      [String(large.length), undefined],
    ]);
  });

  it('is let go by a routed exchange when, and only when, an answer goes to the client', async () => {
    const found = lookupRoute('POST', '/v1/chat/completions');
    if (found.kind !== 'match') throw new Error('no route');
    // The client side: a real response for the relay to write, answered by each attempt in turn.
    const outcomes: string[] = [];
    const client = createServer((_req, res) => {
      const attempt = (answer: string) =>
        relay({
          agent,
          upstream: { url: `${origin}/v1/chat/completions`, method: 'POST', headers: { 'content-type': 'application/json', 'x-answer': answer }, body: Buffer.from('{"model":"gpt-5"}') },
          res,
          adapter: openaiAdapter,
          route: found.route,
          info: { model: 'gpt-5', stream: false },
          injectedStreamUsage: false,
          facts: newFacts('r', 0, 'openai.chat'),
          inputEstimate: () => 3,
          started: performance.now(),
          finish: (journaled) => journaled?.(),
          attempt: { retry: (status) => status === 429, delivering: () => outcomes.push(`delivering ${answer}`) },
        });
      void attempt('429').then((r) => {
        outcomes.push(r.kind);
        return attempt('200');
      });
    });
    await new Promise<void>((r) => client.listen(0, '127.0.0.1', r));
    const res = await fetch(`http://127.0.0.1:${(client.address() as AddressInfo).port}/`);
    expect(res.status).toBe(200);
    await res.text();
    client.close();
    expect(outcomes).toEqual(['held', 'delivering 200']);
  });

  it('is read from the client, after which no listener of the reader holds it', async () => {
    const req = Object.assign(Readable.from([Buffer.from('{"a":'), Buffer.from('1}')]), { headers: {} }) as unknown as IncomingMessage;
    expect((await readBody(req, 1024)).toString()).toBe('{"a":1}');
    expect([req.listenerCount('data'), req.listenerCount('end')]).toEqual([0, 0]);
    const big = Object.assign(Readable.from([Buffer.alloc(600), Buffer.alloc(600)]), { headers: {} }) as unknown as IncomingMessage;
    await expect(readBody(big, 1000)).rejects.toMatchObject({ code: 'body_too_large' });
    expect(big.listenerCount('data')).toBe(0);
  });

  it('is digested once for the row (prefix, last turn, input estimate), on the first call of either', () => {
    const json = { model: 'gpt-5', messages: [{ role: 'user', content: 'hello there' }] };
    const facts = newFacts('id', 0, 'openai.chat');
    let hashed = 0;
    facts.prefix = () => {
      hashed++;
      return 'p';
    };
    const d = requestDigest(json, facts);
    expect(d.inputEstimate()).toBe(estimateInputTokens(json));
    d.run();
    expect(d.inputEstimate()).toBe(estimateInputTokens(json));
    expect(facts.lastTurnHash).toBe(lastTurnHash(json));
    expect(hashed).toBe(1);
    expect(requestDigest(undefined, newFacts('id2', 0, 'openai.models')).inputEstimate()).toBeUndefined();
  });
});

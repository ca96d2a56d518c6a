import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:http';
import { CHAT_COMPLETION, STREAM_PLAIN, STREAM_WITH_USAGE } from './payloads.js';

// A fast fake OpenAI upstream: fixed bodies, so it spends as little of the shared CPU
// as possible. `node --import tsx bench/upstream.ts <port> [gap ms]`.
const port = Number(process.argv[2] ?? 0);
const gapMs = Number(process.argv[3] ?? 1);
const JSON_LENGTH = String(Buffer.byteLength(CHAT_COMPLETION));
// BENCH_RATE_HEADERS=1 adds OpenAI's rate-limit headers, so a router reading them does its real work.
const RATE: Record<string, string> =
  process.env.BENCH_RATE_HEADERS === '1'
    ? { 'x-ratelimit-limit-requests': '100000', 'x-ratelimit-remaining-requests': '99999', 'x-ratelimit-reset-requests': '6ms', 'x-ratelimit-limit-tokens': '30000000', 'x-ratelimit-remaining-tokens': '29999000', 'x-ratelimit-reset-tokens': '0s' }
    : {};

// Every answer has its own request id, as real providers' do: a ledger indexes them, and a
// fixed id would make that index unrealistically cheap (or, before v13, quadratically dear).
const ID_PREFIX = `req_${randomBytes(6).toString('hex')}`;
let served = 0;
const requestId = () => `${ID_PREFIX}${(++served * 2654435761 % 4294967296).toString(16).padStart(8, '0')}`;

interface ChatRequest {
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
}

const server = createServer((req, res) => {
  if (req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'application/json' });
    return void res.end('{"status":"ok"}');
  }
  const parts: Buffer[] = [];
  req.on('data', (c: Buffer) => parts.push(c));
  req.on('end', () => {
    let body: ChatRequest;
    try {
      body = JSON.parse(Buffer.concat(parts).toString('utf8')) as ChatRequest;
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' });
      return void res.end('{"error":{"message":"bad json","type":"invalid_request_error"}}');
    }
    if (body.stream !== true) {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': JSON_LENGTH, 'x-request-id': requestId(), ...RATE });
      return void res.end(CHAT_COMPLETION);
    }
    const usage = body.stream_options?.include_usage === true;
    const s = usage ? STREAM_WITH_USAGE : STREAM_PLAIN;
    // x-bench-usage lets the correctness check see that a proxy injected include_usage.
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'x-request-id': requestId(), 'x-bench-usage': usage ? '1' : '0', ...RATE });
    res.write(s.first);
    // Held streams (the memory scenario) stay open until the client leaves.
    if (req.headers['x-bench-hold'] !== undefined) return;
    setTimeout(() => res.end(s.rest), gapMs);
  });
});
server.keepAliveTimeout = 120_000;
server.listen(port, '127.0.0.1', () => {
  // The harness waits for this line (bench/processes.ts).
  console.log(`listening ${(server.address() as AddressInfo).port}`);
});

import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { Logger } from '../../src/core/logger.js';
import { type Harness, eventually, useHarness } from '../support/harness.js';

// Requests Node's HTTP parser refuses get a whole answer like the gateway's other errors, and
// clients that hang up mid-upload are not logged as server errors.

interface RawAnswer {
  statusLine: string;
  headers: Record<string, string>;
  body: string;
}

/** Sends `bytes` as they are and reads the connection until the gateway closes it. */
function sendRaw(url: string, bytes: string | Buffer): Promise<RawAnswer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(Number(port), hostname, () => socket.write(bytes));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => resolve(parseAnswer(Buffer.concat(chunks).toString('latin1'))));
  });
}

function parseAnswer(text: string): RawAnswer {
  const split = text.indexOf('\r\n\r\n');
  const [statusLine = '', ...lines] = text.slice(0, split < 0 ? text.length : split).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { statusLine, headers, body: split < 0 ? '' : text.slice(split + 4) };
}

function expectGatewayError(answer: RawAnswer, status: string, message: RegExp): void {
  expect(answer.statusLine).toBe(`HTTP/1.1 ${status}`);
  expect(answer.headers['content-type']).toBe('application/json');
  expect(answer.headers.connection).toBe('close');
  expect(answer.headers['x-tollgate-request-id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/);
  expect(Number(answer.headers['content-length'])).toBe(Buffer.byteLength(answer.body));
  const body = JSON.parse(answer.body) as { error: { message: string; type: string; param: null; code: string } };
  expect(body.error).toMatchObject({ type: 'invalid_request_error', param: null, code: 'bad_http_request' });
  expect(body.error.message).toMatch(message);
}

describe('requests the HTTP parser refuses', () => {
  const h = useHarness();

  it('a request with both Content-Length and Transfer-Encoding gets a 400 naming the problem', async () => {
    const answer = await sendRaw(h.url, `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${h.key.key}\r\ncontent-length: 5\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n`);
    expectGatewayError(answer, '400 Bad Request', /^The request is not valid HTTP\/1\.1: Transfer-Encoding can.t be present with Content-Length\.$/);
    expect(await h.rows()).toEqual([]);
  });

  it('a CONNECT gets a 405 saying Tollgate is no forward proxy, not a closed socket', async () => {
    const answer = await sendRaw(h.url, 'CONNECT 127.0.0.1:443 HTTP/1.1\r\nhost: 127.0.0.1:443\r\n\r\n');
    expect(answer.statusLine).toBe('HTTP/1.1 405 Method Not Allowed');
    expect(answer.headers['x-tollgate-request-id']).toMatch(/^[0-9a-f]{8}-/);
    expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'method_not_allowed', message: expect.stringMatching(/not a forward proxy/) as unknown } });
    expect(await h.rows()).toEqual([]);
  });

  it('headers over the limit get a 431 saying how much is accepted', async () => {
    const answer = await sendRaw(h.url, `GET /healthz HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(100_000)}\r\n\r\n`);
    expectGatewayError(answer, '431 Request Header Fields Too Large', /^The request headers are larger than this gateway accepts \(\d+ KB in all\)\.$/);
  });

  it('a NUL byte in a header, a lowercase method and a bad chunk size each get a 400', async () => {
    const cases = [
      'GET /healthz HTTP/1.1\r\nhost: x\r\nx-a: a\0b\r\n\r\n',
      'get /healthz HTTP/1.1\r\nhost: x\r\n\r\n',
      'POST /admin/v1/keys HTTP/1.1\r\nhost: x\r\nauthorization: Bearer admin-secret\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n{}\r\n',
    ];
    for (const bytes of cases) expectGatewayError(await sendRaw(h.url, bytes), '400 Bad Request', /^The request is not valid HTTP\/1\.1: /);
    expect(await h.rows()).toEqual([]);
  });

  it('a bad chunk size on an API route is answered with the id of the row its request began, and the row records that 400', async () => {
    const head = `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${h.key.key}\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n`;
    const answer = await sendRaw(h.url, `${head}5\r\n{"mod\r\nzz\r\n`);
    expectGatewayError(answer, '400 Bad Request', /chunk size/);
    const row = await eventually(async () => {
      const [r] = await h.rows();
      if (!r) throw new Error('no row yet');
      return r;
    });
    expect(row).toMatchObject({ id: answer.headers['x-tollgate-request-id'], status: 400, outcome: 'rejected', errorType: 'bad_http_request' });
    expect(h.fake.requests).toEqual([]);
  });

  it('a request after a good one on the same connection is answered after it', async () => {
    const answer = await sendRaw(h.url, 'GET /healthz HTTP/1.1\r\nhost: x\r\n\r\nGET /healthz HTTP/1.1\r\nhost: x\r\ncontent-length: 1\r\ntransfer-encoding: chunked\r\n\r\n');
    expect(answer.statusLine).toBe('HTTP/1.1 200 OK');
    const second = answer.body.slice(answer.body.indexOf('HTTP/1.1 '));
    expectGatewayError(parseAnswer(second), '400 Bad Request', /Content-Length/);
  });
});

describe('a client that hangs up mid-upload', () => {
  const logged: { level: string; msg: string }[] = [];
  const at = (level: string) => (msg: string) => void logged.push({ level, msg });
  const log: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  const h: Harness = useHarness({ log });

  it('on the admin API and the OTLP receiver is no server error: nothing is logged above debug', async () => {
    const uploads = [
      ['/admin/v1/keys', 'authorization: Bearer admin-secret\r\ncontent-type: application/json'],
      ['/admin/v1/ledger/import', 'authorization: Bearer admin-secret\r\ncontent-type: application/x-ndjson'],
      ['/v1/logs', `authorization: Bearer ${h.key.key}\r\ncontent-type: application/json`],
    ] as const;
    for (const [path, headers] of uploads) {
      logged.length = 0;
      const socket = connect(Number(new URL(h.url).port), '127.0.0.1');
      await new Promise<void>((r) => socket.once('connect', r));
      socket.write(`POST ${path} HTTP/1.1\r\nhost: x\r\n${headers}\r\ncontent-length: 1000\r\n\r\n{"user":`);
      await new Promise((r) => setTimeout(r, 50));
      socket.destroy();
      await eventually(() => expect(logged.filter((l) => l.level === 'debug').map((l) => l.msg)).toContainEqual(expect.stringMatching(/left before/)));
      expect(logged.filter((l) => l.level !== 'debug'), path).toEqual([]);
    }
  });
});

describe('a client that sends its request too slowly', () => {
  const h = useHarness({ requestTimeoutMs: 400 });

  it('gets a 408 once server.request_timeout_ms has passed, and nothing goes upstream', async () => {
    const { hostname, port } = new URL(h.url);
    const started = Date.now();
    const answer = await new Promise<RawAnswer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      const socket = connect(Number(port), hostname, () => {
        socket.write(`POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${h.key.key}\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"model":`);
      });
      // A byte every 100 ms: never idle, never done.
      const drip = setInterval(() => socket.write(' '), 100);
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.on('error', reject);
      socket.on('close', () => {
        clearInterval(drip);
        resolve(parseAnswer(Buffer.concat(chunks).toString('latin1')));
      });
    });
    expectGatewayError(answer, '408 Request Timeout', /^The request was not received in time\.$/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    expect(h.fake.requests).toEqual([]);
    // The request had begun: its row says what happened to it, under the id the 408 carried.
    const row = await eventually(async () => {
      const found = (await h.rows()).find((r) => r.id === answer.headers['x-tollgate-request-id']);
      if (!found) throw new Error('no row yet');
      return found;
    });
    // The key was known from the headers: the row names whose request it was.
    expect(row).toMatchObject({ status: 408, outcome: 'rejected', errorType: 'request_timeout', keyId: h.key.id });
  });

  it('does not cut a response that streams for longer than that', async () => {
    h.fake.script({ chunks: 8, chunkDelayMs: 150 });
    const res = await fetch(`${h.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${h.key.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    });
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    const id = res.headers.get('x-tollgate-request-id');
    const row = await eventually(async () => {
      const found = (await h.rows()).find((r) => r.id === id);
      if (!found) throw new Error('no row yet');
      return found;
    });
    expect(row).toMatchObject({ outcome: 'ok', status: 200 });
    expect(row.latencyMs).toBeGreaterThan(800);
  });
});

describe('a client that half-closes its connection after its request', () => {
  const h = useHarness();

  it('is taken as gone: its request is cancelled upstream and recorded client_aborted, not answered', async () => {
    h.fake.script({ chunks: 20, chunkDelayMs: 100 });
    const body = JSON.stringify({ model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    const { hostname, port } = new URL(h.url);
    const received = await new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = [];
      const socket = connect({ port: Number(port), host: hostname, allowHalfOpen: true }, () => {
        socket.end(`POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${h.key.key}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      });
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.on('error', reject);
      socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    });
    expect(received).not.toContain('[DONE]');
    const row = await eventually(async () => {
      const [r] = await h.rows();
      if (!r) throw new Error('no row yet');
      return r;
    });
    expect(row).toMatchObject({ outcome: 'client_aborted', errorType: 'client_disconnected' });
  });
});

import Anthropic from '@anthropic-ai/sdk';
import { createHash, randomBytes } from 'node:crypto';
import { type ClientRequest, type IncomingMessage, request } from 'node:http';
import OpenAI, { toFile } from 'openai';
import { describe, expect, it } from 'vitest';
import type { Arrival } from '../fake-upstream/index.js';
import { type Harness, eventually, useHarness } from '../support/harness.js';

// A Files API upload is streamed to the provider as it arrives, under its own limit
// (server.max_upload_mb), never read whole under server.max_body_mb as other bodies are.

const MB = 1024 * 1024;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A multipart/form-data body as an SDK makes one: the text fields, then the file. */
function form(boundary: string, fields: Record<string, string>, file: Buffer, filename: string): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) parts.push(Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  parts.push(Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="${filename}"\r\ncontent-type: application/jsonl\r\n\r\n`), file, Buffer.from(`\r\n--${boundary}--\r\n`));
  return Buffer.concat(parts);
}

interface Answer {
  status: number;
  headers: IncomingMessage['headers'];
  text: string;
}

/** An upload whose head goes at once, its body written by the test as it likes. */
function open(h: Harness, headers: Record<string, string>, path = '/v1/files'): { req: ClientRequest; answer: Promise<Answer>; write(b: Buffer): Promise<void> } {
  const req = request(`${h.url}${path}`, { method: 'POST', headers });
  const answer = new Promise<Answer>((resolve, reject) => {
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
  req.flushHeaders();
  const write = (b: Buffer) => new Promise<void>((resolve, reject) => req.write(b, (err) => (err ? reject(err) : resolve())));
  return { req, answer, write };
}

/** The one request the fake has begun to receive, once some of its body is in. */
function receiving(h: Harness): Promise<Arrival> {
  return eventually(() => {
    expect(h.fake.arrivals).toHaveLength(1);
    expect(h.fake.arrivals[0]!.bytes).toBeGreaterThan(0);
    return h.fake.arrivals[0]!;
  });
}

describe('file uploads streamed to the provider', () => {
  const h = useHarness({ maxBodyBytes: 1 * MB, maxUploadBytes: 4 * MB });
  const boundary = '----tollgate-test-boundary-7MA4YWxkTrZu0gW';
  const contentType = `multipart/form-data; boundary=${boundary}`;

  it('an upload past max_body_mb reaches OpenAI byte for byte, its first bytes before the client sent its last, on a free row with the caller’s attribution', async () => {
    const file = randomBytes(3 * MB);
    const body = form(boundary, { purpose: 'batch' }, file, 'requests.jsonl');
    const up = open(h, { authorization: `Bearer ${h.key.key}`, 'content-type': contentType, 'content-length': String(body.length), 'x-tollgate-tags': 'job=nightly' });
    await up.write(body.subarray(0, MB));
    const arrival = await receiving(h);
    // Held whole, nothing would have gone upstream yet: two thirds of the body are still to be sent.
    expect(arrival.ended).toBe(false);
    expect(arrival.bytes).toBeLessThanOrEqual(MB);
    await up.write(body.subarray(MB, 2 * MB));
    await up.write(body.subarray(2 * MB));
    up.req.end();
    const a = await up.answer;
    expect(a.status).toBe(200);
    expect(JSON.parse(a.text)).toMatchObject({ object: 'file', bytes: file.length, filename: 'requests.jsonl', purpose: 'batch' });

    const [rec] = await h.fake.waitForRequests(1);
    expect(sha256(rec!.body)).toBe(sha256(body));
    expect(rec!.headers['content-type']).toBe(contentType);
    expect(rec!.headers['content-length']).toBe(String(body.length));
    expect(rec!.headers.authorization).toBe('Bearer sk-upstream-openai');
    expect(Object.keys(rec!.headers).filter((k) => k.startsWith('x-tollgate-'))).toEqual([]);
    // The answer is the provider's, relayed as it came.
    expect(a.text).toBe(rec!.sent.toString('utf8'));

    const rows = await h.rows();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id: a.headers['x-tollgate-request-id'], api: 'openai.files', provider: 'openai', keyId: h.key.id, user: 'alice', team: 'platform', project: 'tollgate', tags: { job: 'nightly' }, status: 200, outcome: 'ok', costPicos: 0n });
  });

  it('a chunked upload (no content-length) reaches Anthropic chunked and byte for byte', async () => {
    const file = randomBytes(3 * MB);
    const body = form(boundary, {}, file, 'notes.txt');
    const up = open(h, { 'x-api-key': h.key.key, 'anthropic-version': '2023-06-01', 'anthropic-beta': 'files-api-2025-04-14', 'content-type': contentType });
    for (let at = 0; at < body.length; at += 512 * 1024) await up.write(body.subarray(at, at + 512 * 1024));
    up.req.end();
    const a = await up.answer;
    expect(a.status).toBe(200);
    expect(JSON.parse(a.text)).toMatchObject({ type: 'file', filename: 'notes.txt', size_bytes: file.length });
    const [rec] = await h.fake.waitForRequests(1);
    expect(rec!.route).toBe('anthropic.files.upload');
    expect(sha256(rec!.body)).toBe(sha256(body));
    expect(rec!.headers['transfer-encoding']).toBe('chunked');
    expect(rec!.headers['content-length']).toBeUndefined();
    expect(rec!.headers['x-api-key']).toBe('sk-ant-upstream');
    expect(rec!.headers['anthropic-beta']).toBe('files-api-2025-04-14');
    expect(await h.rows()).toMatchObject([{ api: 'anthropic.files', provider: 'anthropic', user: 'alice', status: 200, outcome: 'ok', costPicos: 0n }]);
  });

  it('a declared length over max_upload_mb: 413 naming that setting, and nothing reaches the provider', async () => {
    const up = open(h, { authorization: `Bearer ${h.key.key}`, 'content-type': contentType, 'content-length': String(5 * MB) });
    const a = await up.answer;
    up.req.destroy();
    expect(a.status).toBe(413);
    expect(JSON.parse(a.text).error.message).toBe("The request body is larger than this gateway's limit of 4 MB (server.max_upload_mb).");
    const rows = await h.rows();
    expect(rows).toMatchObject([{ id: a.headers['x-tollgate-request-id'], api: 'openai.files', user: 'alice', status: 413, outcome: 'rejected', errorType: 'body_too_large' }]);
    expect(h.fake.arrivals).toEqual([]);
  });

  it('a chunked upload that runs past max_upload_mb: 413, and the upstream request is cut off', async () => {
    const up = open(h, { authorization: `Bearer ${h.key.key}`, 'content-type': contentType });
    up.answer.catch(() => undefined);
    await up.write(randomBytes(MB));
    const arrival = await receiving(h);
    for (let i = 0; i < 4; i++) await up.write(randomBytes(MB)).catch(() => undefined);
    const a = await up.answer;
    up.req.destroy();
    expect(a.status).toBe(413);
    expect(JSON.parse(a.text).error.message).toContain('(server.max_upload_mb)');
    await eventually(() => expect(arrival.aborted).toBe(true));
    expect(arrival.ended).toBe(false);
    expect(arrival.bytes).toBeLessThanOrEqual(4 * MB);
    expect(await h.rows()).toMatchObject([{ api: 'openai.files', user: 'alice', status: 413, outcome: 'rejected', errorType: 'body_too_large' }]);
  });

  it('a bad virtual key: 401, and none of the upload reaches the provider', async () => {
    const bad = h.key.key.slice(0, -4) + (h.key.key.endsWith('aaaa') ? 'bbbb' : 'aaaa');
    const body = form(boundary, { purpose: 'batch' }, randomBytes(2 * MB), 'requests.jsonl');
    const up = open(h, { authorization: `Bearer ${bad}`, 'content-type': contentType, 'content-length': String(body.length) });
    await up.write(body).catch(() => undefined);
    up.req.end();
    const a = await up.answer;
    expect(a.status).toBe(401);
    expect(h.fake.arrivals).toEqual([]);
    expect(await h.rows()).toMatchObject([{ api: 'openai.files', keyId: null, status: 401, outcome: 'rejected' }]);
  });

  it('a client that hangs up mid-upload: the upstream request is cut off and the row says client_aborted', async () => {
    const body = form(boundary, { purpose: 'batch' }, randomBytes(3 * MB), 'requests.jsonl');
    const up = open(h, { authorization: `Bearer ${h.key.key}`, 'content-type': contentType, 'content-length': String(body.length) });
    up.answer.catch(() => undefined);
    await up.write(body.subarray(0, MB));
    const arrival = await receiving(h);
    up.req.destroy();
    await eventually(() => expect(arrival.aborted).toBe(true));
    expect(arrival.ended).toBe(false);
    const rows = await eventually(async () => {
      const all = await h.rows();
      expect(all).toHaveLength(1);
      return all;
    });
    expect(rows[0]).toMatchObject({ api: 'openai.files', user: 'alice', outcome: 'client_aborted', errorType: 'client_disconnected' });
  });

  it('the openai SDK’s files.create and the Anthropic SDK’s beta.files.upload, each past max_body_mb', async () => {
    const file = randomBytes(3 * MB);
    const openai = new OpenAI({ apiKey: h.key.key, baseURL: `${h.url}/v1`, maxRetries: 0 });
    const created = await openai.files.create({ file: await toFile(file, 'requests.jsonl'), purpose: 'batch' });
    expect(created).toMatchObject({ object: 'file', bytes: file.length, purpose: 'batch' });
    const anthropic = new Anthropic({ apiKey: h.key.key, baseURL: h.url, maxRetries: 0 });
    const uploaded = await anthropic.beta.files.upload({ file: await toFile(file, 'notes.txt', { type: 'text/plain' }) });
    expect(uploaded).toMatchObject({ type: 'file', size_bytes: file.length });
    const recs = await h.fake.waitForRequests(2);
    expect(recs.map((r) => r.route)).toEqual(['openai.files.create', 'anthropic.files.upload']);
    for (const r of recs) expect(r.body.includes(file)).toBe(true);
    expect(await h.rows()).toMatchObject([
      { api: 'openai.files', user: 'alice', status: 200, outcome: 'ok', costPicos: 0n },
      { api: 'anthropic.files', user: 'alice', status: 200, outcome: 'ok', costPicos: 0n },
    ]);
  });
});

describe('a file upload too slow for server.request_timeout_ms', () => {
  const h = useHarness({ requestTimeoutMs: 1000 });

  it('408, the upstream request cut off, and the row says request_timeout', async () => {
    const up = open(h, { authorization: `Bearer ${h.key.key}`, 'content-type': 'multipart/form-data; boundary=x', 'content-length': String(2 * MB) });
    await up.write(randomBytes(MB));
    const arrival = await receiving(h);
    const a = await up.answer;
    expect(a.status).toBe(408);
    await eventually(() => expect(arrival.aborted).toBe(true));
    const rows = await eventually(async () => {
      const all = await h.rows();
      expect(all).toHaveLength(1);
      return all;
    });
    expect(rows[0]).toMatchObject({ id: a.headers['x-tollgate-request-id'], api: 'openai.files', user: 'alice', status: 408, outcome: 'rejected', errorType: 'request_timeout' });
  });
});

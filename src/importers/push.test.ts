import { createServer as createHttpServer } from 'node:http';
import { type AddressInfo, createServer } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { sampleRow } from '../storage/testing/rows.js';
import { toJsonLine } from '../reports/export.js';
import { parseLedgerLine } from './ledger-format.js';
import { PushError, answerStart, importEndpoint, pushRows } from './push.js';

/** A central server: its answers in turn (200 once they run out), or `limit`: 413 for a body over that many bytes. */
function server(answers: (number | 'drop')[], limit = Infinity) {
  const bodies: string[] = [];
  const fetch = ((_url: string, init: { body: Buffer; headers: Record<string, string> }) => {
    expect(init.headers['content-encoding']).toBe('gzip');
    const text = gunzipSync(init.body).toString('utf8');
    bodies.push(text);
    const a = Buffer.byteLength(text) > limit ? 413 : (answers.shift() ?? 200);
    if (a === 'drop') return Promise.reject(new Error('socket hang up'));
    const lines = text.trim().split('\n').length;
    return Promise.resolve(new Response(a === 200 ? JSON.stringify({ written: lines }) : JSON.stringify({ error: { code: 'x', message: `status ${a}` } }), { status: a }));
  }) as unknown as typeof globalThis.fetch;
  return { fetch, bodies };
}

const opts = { url: 'http://central:8787', token: 't', sleep: () => Promise.resolve() };

describe('pushRows', () => {
  it('sends batches of export lines plus removals, exact costs included', async () => {
    const s = server([]);
    const rows = [1, 2, 3].map((i) => sampleRow({ id: `r${i}`, costPicos: 123_456_789_012_345n + BigInt(i) }));
    expect(await pushRows(rows, ['old'], { ...opts, fetch: s.fetch, batch: 2 })).toBe(4);
    expect(s.bodies).toHaveLength(2);
    const lines = s.bodies.join('').trim().split('\n');
    expect(lines[0]).toBe('{"remove":"old"}');
    expect(lines.slice(1).map(parseLedgerLine)).toEqual(rows);
  });

  it('counts the removals the server says it made, not the removal lines sent; an answer without the count counts each line', async () => {
    const answering = (removed?: number) => (() => Promise.resolve(new Response(JSON.stringify({ written: 1, ...(removed === undefined ? {} : { removed }) }), { status: 200 }))) as unknown as typeof globalThis.fetch;
    const removed = { n: 0 };
    // A row replaced within the run was never on the server: it removes nothing.
    expect(await pushRows([sampleRow()], ['never-stored', 'also-not'], { ...opts, fetch: answering(0), removed })).toBe(1);
    expect(removed.n).toBe(0);
    await pushRows([sampleRow()], ['stored'], { ...opts, fetch: answering(1), removed });
    expect(removed.n).toBe(1);
    // An older server, two batches: each removal line sent counts.
    await pushRows([sampleRow(), sampleRow()], ['a', 'b'], { ...opts, fetch: answering(), removed, batch: 2 });
    expect(removed.n).toBe(3);
  });

  it('retries dropped connections, 429 and 5xx, then gives up naming the last problem', async () => {
    const s = server(['drop', 503, 429, 200]);
    expect(await pushRows([sampleRow()], [], { ...opts, fetch: s.fetch })).toBe(1);
    expect(s.bodies).toHaveLength(4);
    const down = server([502, 502, 502]);
    await expect(pushRows([sampleRow()], [], { ...opts, fetch: down.fetch, tries: 3 })).rejects.toThrow(new PushError('http://central:8787/admin/v1/ledger/import answered 502: status 502'));
  });

  it('asks for insert mode when told to (a ledger file: rows the server has are kept), keeping the base path', () => {
    expect(importEndpoint('https://h/tollgate/')).toBe('https://h/tollgate/admin/v1/ledger/import');
    expect(importEndpoint('https://h/tollgate', 'insert')).toBe('https://h/tollgate/admin/v1/ledger/import?mode=insert');
  });

  it('does not retry a refusal', async () => {
    const s = server([401]);
    await expect(pushRows([sampleRow()], [], { ...opts, fetch: s.fetch })).rejects.toThrow(/refused the token \(401\)/);
    expect(s.bodies).toHaveLength(1);
  });

  it('names why a central server cannot be reached, and ends its own message once', async () => {
    // A port nothing listens on: the real fetch is refused.
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const { port } = closed.address() as AddressInfo;
    await new Promise((r) => closed.close(r));
    const url = `http://127.0.0.1:${port}`;
    await expect(pushRows([sampleRow()], [], { url, token: 't', sleep: () => Promise.resolve(), tries: 1 })).rejects.toThrow(new PushError(`cannot reach ${url}/admin/v1/ledger/import (ECONNREFUSED)`));
    const fetch = (() => Promise.resolve(new Response(JSON.stringify({ error: { message: 'Send Authorization: Bearer <TOLLGATE_ADMIN_TOKEN>.' } }), { status: 401 }))) as unknown as typeof globalThis.fetch;
    await expect(pushRows([sampleRow()], [], { ...opts, fetch })).rejects.toThrow(
      new PushError("http://central:8787/admin/v1/ledger/import refused the token (401): --push sends TOLLGATE_ADMIN_TOKEN, which must be the central gateway's admin token"),
    );
  });

  it('keeps the base URL path, and names an answer that is not from Tollgate (a login page) without retrying', async () => {
    const paths: string[] = [];
    const http = createHttpServer((req, res) => {
      paths.push(req.url!);
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>Sign in</body></html>'));
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/tollgate/`;
    try {
      await expect(pushRows([sampleRow()], [], { url, token: 't', sleep: () => Promise.resolve() })).rejects.toThrow(
        new PushError(`${url}admin/v1/ledger/import answered 200 with an HTML page starting "<html><body>Sign in</body></html>", not a Tollgate answer: is the URL the central Tollgate's base URL`),
      );
      expect(paths).toEqual(['/tollgate/admin/v1/ledger/import']);
    } finally {
      await new Promise((r) => http.close(r));
    }
  });

  it('quotes only the start of a page answering an error (a 404 page of a wrong URL, its styles and all), saying it is HTML', async () => {
    const page = `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>Not found</title><style>${'body{font:16px/1.5 system-ui,sans-serif;max-width:36rem}\n'.repeat(30)}</style></head><body><h1>Not found</h1></body></html>`;
    const fetch = (() => Promise.resolve(new Response(page, { status: 404, headers: { 'content-type': 'text/html; charset=utf-8' } }))) as unknown as typeof globalThis.fetch;
    const err = (await pushRows([sampleRow()], [], { ...opts, url: 'http://central:8787/ui', fetch }).catch((e: unknown) => e)) as PushError;
    expect(err).toBeInstanceOf(PushError);
    expect(err.message).toBe(`http://central:8787/ui/admin/v1/ledger/import answered 404 with an HTML page starting "<!doctype html> <html lang="en"><head><meta charset="utf-8">…": is the URL the central Tollgate's base URL`);
    // A proxy's page past retries (502) is quoted as briefly, without the hint about the URL.
    const proxy = (() => Promise.resolve(new Response(page, { status: 502 }))) as unknown as typeof globalThis.fetch;
    await expect(pushRows([sampleRow()], [], { ...opts, fetch: proxy, tries: 1 })).rejects.toThrow(new PushError('http://central:8787/admin/v1/ledger/import answered 502 with an HTML page starting "<!doctype html> <html lang="en"><head><meta charset="utf-8">…"'));
  });

  it('quotes the start of an answer on one line, at most 60 characters, and names an empty one', () => {
    expect(answerStart('  Bad\r\n  Gateway  ', 'text/plain')).toBe('"Bad Gateway"');
    expect(answerStart('x'.repeat(61), null)).toBe(`"${'x'.repeat(60)}…"`);
    expect(answerStart(`a${' '.repeat(300)}b`, null)).toBe('"a…"');
    expect(answerStart('😀'.repeat(70), null)).toBe(`"${'😀'.repeat(60)}…"`);
    expect(answerStart('<HTML><body>502</body></HTML>', null)).toBe('an HTML page starting "<HTML><body>502</body></HTML>"');
    expect(answerStart(' \n', 'text/html')).toBe('an empty answer');
  });

  it('cuts batches by bytes as well as rows, and sends a batch refused as too large (413) again in halves, naming a row too large alone', async () => {
    const rows = Array.from({ length: 8 }, (_, i) => sampleRow({ id: `r${i}`, tags: { note: 'x'.repeat(1000) } }));
    const line = Buffer.byteLength(toJsonLine(rows[0]!));
    const bySize = server([]);
    expect(await pushRows(rows, [], { ...opts, fetch: bySize.fetch, batchBytes: 3 * line + 10 })).toBe(8);
    expect(bySize.bodies.map((b) => b.trim().split('\n').length)).toEqual([3, 3, 2]);
    // A proxy in front of the server takes two rows at most: halves until each batch fits.
    const proxy = server([], 2 * line + 10);
    expect(await pushRows(rows, [], { ...opts, fetch: proxy.fetch })).toBe(8);
    expect(proxy.bodies.filter((b) => Buffer.byteLength(b) <= 2 * line + 10).map((b) => b.trim().split('\n').length)).toEqual([2, 2, 2, 2]);
    const tiny = server([], line - 10);
    await expect(pushRows(rows.slice(0, 2), [], { ...opts, fetch: tiny.fetch })).rejects.toThrow(/refuses one row of \d+ bytes as too large \(413: status 413\): raise the body limit/);
  });
});


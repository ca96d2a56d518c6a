import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:tls';
import { Agent, request } from 'undici';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testCertificate } from '../support/certs.js';
import { type Harness, eventually, startHarness } from '../support/harness.js';

/** The certificate a new TLS connection to the gateway is served, by its fingerprint. */
function servedFingerprint(port: number): Promise<string> {
  return new Promise((ok, fail) => {
    const s = connect({ port, host: '127.0.0.1', rejectUnauthorized: false }, () => {
      ok(s.getPeerCertificate().fingerprint256);
      s.end();
    });
    s.on('error', fail);
  });
}

describe('the gateway serving HTTPS (server.tls)', () => {
  const first = testCertificate('localhost');
  const renewed = testCertificate('localhost');
  // The files the gateway is configured with; a renewal writes new ones over them.
  const live = testCertificate('localhost');
  copyFileSync(first.cert, live.cert);
  copyFileSync(first.key, live.key);
  let h: Harness;
  let dispatcher: Agent;
  beforeAll(async () => {
    h = await startHarness({ tls: live });
    dispatcher = new Agent({ connect: { ca: [readFileSync(first.ca), readFileSync(renewed.ca)] } });
  });
  afterAll(async () => {
    await dispatcher.close();
    await h.close();
  });

  it('answers API requests over TLS and meters them', async () => {
    expect(h.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    h.fake.setDefault({ usage: { input: 11, output: 3 } });
    const res = await request(`${h.url}/v1/chat/completions`, {
      method: 'POST',
      dispatcher,
      headers: { authorization: `Bearer ${h.key.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-5', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.statusCode).toBe(200);
    await res.body.text();
    await eventually(async () => expect(await h.rows()).toEqual([expect.objectContaining({ outcome: 'ok', inputTokens: 11, outputTokens: 3 })]));
  });

  it('serves the Responses WebSocket over wss://, and an h2c upgrade request as plain HTTP', async () => {
    const ws = new WebSocket(`${h.url.replace(/^https/, 'wss')}/v1/responses`, { headers: { authorization: `Bearer ${h.key.key}` }, ca: readFileSync(first.ca) });
    await new Promise<void>((ok, fail) => {
      ws.once('open', () => ok());
      ws.once('error', fail);
    });
    ws.close();
    // What `curl --http2` sends on every request; undici will not send an upgrade header, so by hand.
    const answer = await new Promise<string>((ok, fail) => {
      let got = '';
      const s = connect({ port: h.tollgate.port, host: '127.0.0.1', ca: readFileSync(first.ca), servername: 'localhost' }, () => {
        s.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n');
      });
      s.on('data', (d: Buffer) => {
        got += d.toString();
        if (got.includes('{"status":"ok"}')) {
          ok(got);
          s.destroy();
        }
      });
      s.on('error', fail);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
  });

  it('takes a renewed certificate for new connections on reload, and keeps the old one when the new files do not load', async () => {
    const before = await servedFingerprint(h.tollgate.port);
    copyFileSync(renewed.cert, live.cert);
    copyFileSync(renewed.key, live.key);
    h.tollgate.reloadTls();
    const after = await servedFingerprint(h.tollgate.port);
    expect(after).not.toBe(before);
    writeFileSync(live.key, 'half a key');
    expect(() => h.tollgate.reloadTls()).toThrow(/^server\.tls: .* do not make a TLS certificate and its key/);
    expect(await servedFingerprint(h.tollgate.port)).toBe(after);
  });
});

import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testCertificate } from '../support/certs.js';
import { type Served, serve, tollgate } from './cli.js';

let dir: string;
let gw: Served;
const cert = testCertificate('localhost');
const renewed = testCertificate('localhost');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tollgate-e2e-tls-'));
  copyFileSync(cert.cert, join(dir, 'cert.pem'));
  copyFileSync(cert.key, join(dir, 'key.pem'));
  writeFileSync(join(dir, 'tollgate.yaml'), 'server: { tls: { cert: ./cert.pem, key: ./key.pem } }\nstorage: { sqlite: ./data/tollgate.db }\n');
  gw = await serve(['--config', 'tollgate.yaml'], { cwd: dir });
});
afterAll(async () => {
  await gw?.stop();
});

describe('serve over HTTPS through the built CLI', () => {
  it('listens on https:// with the configured certificate', async () => {
    expect(gw.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const dispatcher = new Agent({ connect: { ca: readFileSync(cert.ca) } });
    const res = await request(`${gw.url}/healthz`, { dispatcher });
    expect(await res.body.json()).toEqual({ status: 'ok' });
    await dispatcher.close();
  });

  it('reloads the certificate on SIGHUP, and says so', async () => {
    copyFileSync(renewed.cert, join(dir, 'cert.pem'));
    copyFileSync(renewed.key, join(dir, 'key.pem'));
    gw.child.kill('SIGHUP');
    await expect.poll(() => gw.stderr()).toContain('reloaded server.tls: new connections get the certificate now in its files');
    const dispatcher = new Agent({ connect: { ca: readFileSync(renewed.ca) } });
    expect((await request(`${gw.url}/healthz`, { dispatcher })).statusCode).toBe(200);
    await dispatcher.close();
  });

  it('refuses to start on a certificate it cannot read, naming the setting and the file', async () => {
    writeFileSync(join(dir, 'missing.yaml'), 'server: { tls: { cert: ./nope.pem, key: ./key.pem } }\n');
    const r = await tollgate(['serve', '--port', '0', '--config', 'missing.yaml', '--db', join(dir, 'other.db')], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`tollgate: server.tls.cert: cannot read "${join(dir, 'nope.pem')}" (ENOENT)\n`);
  });
});

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { testCertificate } from '../../test/support/certs.js';
import { TlsSetupError, loadTls } from './tls.js';

describe('loadTls', () => {
  const a = testCertificate('gw.test');
  const b = testCertificate('other.test');

  it('reads a certificate and the key that goes with it', () => {
    const m = loadTls(a);
    expect(m.cert.toString()).toContain('BEGIN CERTIFICATE');
    expect(m.key.toString()).toContain('PRIVATE KEY');
  });

  it('names the setting and the file it cannot read', () => {
    expect(() => loadTls({ ...a, cert: '/nowhere/cert.pem' })).toThrow(new TlsSetupError('server.tls.cert: cannot read "/nowhere/cert.pem" (ENOENT)'));
    expect(() => loadTls({ ...a, key: '/nowhere/key.pem' })).toThrow('server.tls.key: cannot read "/nowhere/key.pem" (ENOENT)');
  });

  it('refuses a key that does not match the certificate, and files that are not PEM', () => {
    expect(() => loadTls({ cert: a.cert, key: b.key })).toThrow(/^server\.tls: ".*" and ".*" do not make a TLS certificate and its key \(.*key values mismatch.*\)$/);
    const junk = join(mkdtempSync(join(tmpdir(), 'tollgate-junk-')), 'junk.pem');
    writeFileSync(junk, 'not a certificate');
    expect(() => loadTls({ cert: junk, key: a.key })).toThrow(TlsSetupError);
  });
});

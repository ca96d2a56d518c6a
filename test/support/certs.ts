import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A self-signed certificate for `host` (and its key), as PEM files made by openssl in a new folder. */
export function selfSigned(host: string): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-cert-'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', `/CN=${host}`, '-addext', `subjectAltName=DNS:${host},IP:127.0.0.1`], { stdio: 'ignore' });
  return { cert, key };
}

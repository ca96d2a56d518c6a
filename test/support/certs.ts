import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A server certificate for `host` (and 127.0.0.1) signed by a certificate authority of its own, as
 * companies issue them: `ca` is what a client is told to trust (NODE_EXTRA_CA_CERTS,
 * CODEX_CA_CERTIFICATE); `cert` and `key` are what the server serves. PEM files made by openssl in
 * a new folder. (A self-signed certificate served as is would do for Node, but not for clients on
 * rustls, such as Codex, which refuse an authority's certificate used as a server's.)
 */
export function testCertificate(host: string): { ca: string; cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-cert-'));
  const at = (name: string) => join(dir, name);
  const openssl = (args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', at('ca-key.pem'), '-out', at('ca.pem'), '-days', '2', '-subj', '/CN=Tollgate test CA']);
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', at('key.pem'), '-out', at('server.csr'), '-subj', `/CN=${host}`]);
  writeFileSync(at('server.ext'), `subjectAltName=DNS:${host},IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n`);
  openssl(['x509', '-req', '-in', at('server.csr'), '-CA', at('ca.pem'), '-CAkey', at('ca-key.pem'), '-CAcreateserial', '-out', at('cert.pem'), '-days', '2', '-extfile', at('server.ext')]);
  return { ca: at('ca.pem'), cert: at('cert.pem'), key: at('key.pem') };
}

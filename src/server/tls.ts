import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { SetupError } from '../core/errors.js';

/** The certificate chain and private key (PEM) the gateway serves HTTPS with. */
export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
}

/** `server.tls` cannot be used: told at start-up (or on a reload), naming the setting and the file. */
export class TlsSetupError extends SetupError {
  override readonly name = 'TlsSetupError';
}

/**
 * Reads `server.tls`'s files and checks that they make a working TLS context (PEM that parses,
 * a key that matches the certificate), so that a mistake stops the start with its cause rather
 * than failing every client's handshake.
 */
export function loadTls(files: { cert: string; key: string }): TlsMaterial {
  const read = (what: 'cert' | 'key') => {
    try {
      return readFileSync(files[what]);
    } catch (err) {
      throw new TlsSetupError(`server.tls.${what}: cannot read "${files[what]}" (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
  };
  const material = { cert: read('cert'), key: read('key') };
  try {
    createSecureContext(material);
  } catch (err) {
    throw new TlsSetupError(`server.tls: "${files.cert}" and "${files.key}" do not make a TLS certificate and its key (${(err as Error).message})`);
  }
  return material;
}

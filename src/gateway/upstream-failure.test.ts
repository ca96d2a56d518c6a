import { describe, expect, it } from 'vitest';
import { upstreamFailure } from './upstream.js';

const failure = (code: string, proxy?: string) => upstreamFailure(Object.assign(new Error('x'), { code }, proxy ? { proxy } : {}), 'https://api.openai.com/v1/chat/completions');

describe('upstreamFailure', () => {
  it('says what a TLS refusal means and what to do about it', () => {
    expect(failure('SELF_SIGNED_CERT_IN_CHAIN').message).toBe(
      "Could not reach the upstream https://api.openai.com (SELF_SIGNED_CERT_IN_CHAIN): its certificate is not from an authority this machine trusts; where a proxy inspects TLS, give Node that proxy's authority with NODE_EXTRA_CA_CERTS=/path/to/ca.pem.",
    );
    expect(failure('CERT_HAS_EXPIRED').message).toBe('Could not reach the upstream https://api.openai.com (CERT_HAS_EXPIRED): its certificate has expired.');
    expect(failure('ERR_TLS_CERT_ALTNAME_INVALID', 'http://proxy:3128').message).toBe(
      'Could not reach the upstream https://api.openai.com through the proxy http://proxy:3128 (ERR_TLS_CERT_ALTNAME_INVALID): its certificate is for another host name; check base_url.',
    );
  });

  it('adds nothing to an error that is not about a certificate', () => {
    expect(failure('ECONNREFUSED').message).toBe('Could not reach the upstream https://api.openai.com (ECONNREFUSED).');
    expect(failure('constructor').message).toBe('Could not reach the upstream https://api.openai.com (constructor).');
  });
});

import { describe, expect, it } from 'vitest';
import { upstreamHeaders } from './headers.js';

describe('upstreamHeaders', () => {
  it('asks upstream for an uncompressed answer whatever the client accepts, and drops what is the gateway own', () => {
    const out = upstreamHeaders({ 'accept-encoding': 'gzip, br', 'content-type': 'application/json', connection: 'keep-alive', 'x-tollgate-user': 'alice', authorization: 'Bearer sk' });
    expect(out).toEqual({ 'content-type': 'application/json', authorization: 'Bearer sk', 'accept-encoding': 'identity' });
    expect(upstreamHeaders({})).toEqual({ 'accept-encoding': 'identity' });
  });
});

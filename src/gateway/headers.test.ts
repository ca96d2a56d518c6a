import { describe, expect, it } from 'vitest';
import { clientResponseHeaders, dropVirtualKeys, forwardedQuery, upstreamHeaders } from './headers.js';

describe('upstreamHeaders', () => {
  it('asks upstream for an uncompressed answer whatever the client accepts, and drops what is the gateway own', () => {
    const out = upstreamHeaders({ 'accept-encoding': 'gzip, br', 'content-type': 'application/json', connection: 'keep-alive', 'x-tollgate-user': 'alice', authorization: 'Bearer sk' });
    expect(out).toEqual({ 'content-type': 'application/json', authorization: 'Bearer sk', 'accept-encoding': 'identity' });
    expect(upstreamHeaders({})).toEqual({ 'accept-encoding': 'identity' });
  });

  it('drops every header holding a Tollgate key, whatever its name: only the dialect place gets the provider key', () => {
    const key = 'tg_zysYPiiLgvm19THo7N85xq_3H3qMQM0sd86bxD8cv9g';
    const out = upstreamHeaders({
      authorization: 'Bearer sk-provider',
      'x-api-key': key,
      'x-goog-api-key': ` ${key} `,
      'api-key': key,
      cookie: `a=1; k=${key}`,
      'x-note': 'see tg_docs',
      'x-id': 'pkg_tg_abcdefghijklmnopqrstu',
    });
    expect(out).toEqual({ authorization: 'Bearer sk-provider', 'x-note': 'see tg_docs', 'x-id': 'pkg_tg_abcdefghijklmnopqrstu', 'accept-encoding': 'identity' });
  });
});

describe('hop-by-hop headers a Connection header names', () => {
  it('are not sent upstream, nor passed back to the client', () => {
    const out = upstreamHeaders({ connection: 'keep-alive, X-Hop, upgrade', 'x-hop': 'secret', upgrade: 'h2c', 'x-kept': '1' });
    expect(out).toEqual({ 'x-kept': '1', 'accept-encoding': 'identity' });
    expect(clientResponseHeaders({ connection: ['close', 'x-internal'], 'x-internal': 'node-7', 'content-type': 'application/json' }, false)).toEqual({ 'content-type': 'application/json' });
    expect(clientResponseHeaders({ connection: 'keep-alive', 'keep-alive': 'timeout=5', 'x-kept': '1' }, true)).toEqual({ 'x-kept': '1' });
  });
});

describe('clientResponseHeaders', () => {
  it('leaves the provider x-tollgate-* headers out: the gateway sets its own', () => {
    expect(clientResponseHeaders({ 'x-tollgate-request-id': 'inner', 'x-tollgate-budget-remaining': '99', 'x-request-id': 'req_1' }, true)).toEqual({ 'x-request-id': 'req_1' });
  });
});

describe('dropVirtualKeys', () => {
  it('takes off each query parameter holding a Tollgate key, all its values, and nothing else', () => {
    const q = new URLSearchParams('key=tg_zysYPiiLgvm19THo7N85xq_3H3qMQM0sd86bxD8cv9g&alt=sse&api_key=x&api_key=tg_abcdefghijklmnopqrstuvwx&t=tg_');
    dropVirtualKeys(q);
    expect(q.toString()).toBe('alt=sse&t=tg_');
  });
});

describe('forwardedQuery', () => {
  it('sends the query as the client wrote it when the gateway changed nothing', () => {
    const raw = 'beta=true&x=a%3Ab&y=c:d&z=%7E~&w&&$fields=a,b';
    expect(forwardedQuery(`?${raw}`, new URLSearchParams(raw))).toBe(raw);
    expect(forwardedQuery('', new URLSearchParams())).toBe('');
  });

  it('rewrites only what the gateway changed: the key dropped or replaced, a model renamed', () => {
    const raw = 'alt=sse&key=tg_virtual&y=c:d';
    const q = new URLSearchParams(raw);
    q.delete('key');
    expect(forwardedQuery(raw, q)).toBe('alt=sse&y=c:d');
    q.set('key', 'AIza/real+key');
    expect(forwardedQuery(raw, q)).toBe('alt=sse&y=c:d&key=AIza%2Freal%2Bkey');
    const m = new URLSearchParams('model=gpt-realtime&x=%7E');
    m.set('model', 'gpt-realtime-mini');
    expect(forwardedQuery('model=gpt-realtime&x=%7E', m)).toBe('x=%7E&model=gpt-realtime-mini');
  });
});

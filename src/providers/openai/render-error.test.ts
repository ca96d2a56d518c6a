import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../core/errors.js';
import { openaiAdapter } from './adapter.js';

describe('renderOpenaiError', () => {
  it('renders the OpenAI error shape with the gateway code', () => {
    const err = new GatewayError('invalid_api_key', 'The API key is not valid.');
    expect(openaiAdapter.renderError(err, 'req-1')).toEqual({
      status: 401,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ error: { message: 'The API key is not valid.', type: 'authentication_error', param: null, code: 'invalid_api_key' } }),
    });
  });

  it('maps statuses to types and carries the error headers', () => {
    const cases = [
      [new GatewayError('invalid_request', 'bad'), 400, 'invalid_request_error'],
      [new GatewayError('unknown_route', 'no'), 404, 'invalid_request_error'],
      [new GatewayError('body_too_large', 'big'), 413, 'invalid_request_error'],
      [new GatewayError('upstream_unreachable', 'down'), 502, 'server_error'],
      [new GatewayError('upstream_timeout', 'slow'), 504, 'server_error'],
    ] as const;
    for (const [err, status, type] of cases) {
      const out = openaiAdapter.renderError(err, 'r');
      expect(out.status).toBe(status);
      expect(JSON.parse(out.body)).toMatchObject({ error: { type, code: err.code, param: null } });
    }
    const limited = openaiAdapter.renderError(new GatewayError('method_not_allowed', 'Use POST.', { headers: { allow: 'POST' } }), 'r');
    expect(limited.headers).toEqual({ 'content-type': 'application/json', allow: 'POST' });
  });

  it('hides internal messages', () => {
    const out = openaiAdapter.renderError(new GatewayError('internal', 'db password wrong'), 'r');
    expect(out.status).toBe(500);
    expect(out.body).not.toContain('password');
    expect(JSON.parse(out.body)).toMatchObject({ error: { type: 'server_error', code: 'internal' } });
  });
});

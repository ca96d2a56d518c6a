import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../core/errors.js';
import type { HeaderBag, RouteMatch } from '../types.js';
import { anthropicAdapter } from './adapter.js';

const messages: RouteMatch = { api: 'anthropic.messages', dialect: 'anthropic', method: 'POST' };
const countTokens: RouteMatch = { api: 'anthropic.count_tokens', dialect: 'anthropic', method: 'POST' };

describe('Anthropic request inspection', () => {
  it('reads model, stream and max_tokens (0 is a valid cap)', () => {
    expect(anthropicAdapter.inspectRequest(messages, { model: 'claude-sonnet-5-5', max_tokens: 4096, stream: true, messages: [] })).toEqual({
      model: 'claude-sonnet-5-5',
      stream: true,
      maxOutputTokens: 4096,
    });
    expect(anthropicAdapter.inspectRequest(messages, { model: 'claude-haiku-5-5', max_tokens: 0, messages: [] })).toEqual({
      model: 'claude-haiku-5-5',
      stream: false,
      maxOutputTokens: 0,
    });
  });

  it('reads count_tokens as a non-streamed request with no cap', () => {
    expect(anthropicAdapter.inspectRequest(countTokens, { model: 'claude-opus-5-5', messages: [], stream: true })).toEqual({
      model: 'claude-opus-5-5',
      stream: false,
    });
  });

  it('rejects non-object bodies and a missing model', () => {
    expect(() => anthropicAdapter.inspectRequest(messages, 'hello')).toThrow(GatewayError);
    expect(() => anthropicAdapter.inspectRequest(messages, { max_tokens: 10, messages: [] })).toThrow(/"model"/);
    expect(() => anthropicAdapter.inspectRequest(countTokens, { model: 12 })).toThrow(/"model"/);
  });

  it('never rewrites the body', () => {
    const raw = Buffer.from('{"model":"claude-sonnet-5-5","max_tokens":10,"stream":true,"messages":[]}');
    expect(anthropicAdapter.rewriteRequest(messages, { model: 'claude-sonnet-5-5', stream: true }, raw)).toBeUndefined();
  });
});

describe('Anthropic credentials', () => {
  const q = () => new URLSearchParams();

  it('accepts x-api-key (Claude Code) and Bearer (SDK 1.x)', () => {
    expect(anthropicAdapter.readCredential({ 'x-api-key': 'sk-tg-cc' }, q())).toEqual({ key: 'sk-tg-cc', where: 'x-api-key' });
    expect(anthropicAdapter.readCredential({ authorization: 'Bearer sk-tg-sdk' }, q())).toEqual({ key: 'sk-tg-sdk', where: 'authorization' });
    expect(anthropicAdapter.readCredential({ 'x-api-key': 'sk-a', authorization: 'Bearer oauth-b' }, q())).toEqual({ key: 'sk-a', where: 'x-api-key' });
    expect(anthropicAdapter.readCredential({ 'x-api-key': '' }, q())).toBeUndefined();
  });

  it('writes the key where the client put it and removes the client key from both places', () => {
    const viaHeader: HeaderBag = { 'x-api-key': 'sk-tg-cc', 'anthropic-version': '2023-06-01' };
    anthropicAdapter.writeCredential(viaHeader, q(), 'sk-ant-upstream', 'x-api-key');
    expect(viaHeader).toEqual({ 'x-api-key': 'sk-ant-upstream', 'anthropic-version': '2023-06-01' });

    const viaBearer: HeaderBag = { authorization: 'Bearer sk-tg-sdk', 'anthropic-version': '2026-10-21' };
    anthropicAdapter.writeCredential(viaBearer, q(), 'sk-ant-upstream', 'authorization');
    expect(viaBearer).toEqual({ authorization: 'Bearer sk-ant-upstream', 'anthropic-version': '2026-10-21' });

    const both: HeaderBag = { 'x-api-key': 'sk-tg-cc', authorization: 'Bearer sk-tg-other' };
    anthropicAdapter.writeCredential(both, q(), 'sk-ant-upstream', 'x-api-key');
    expect(both).toEqual({ 'x-api-key': 'sk-ant-upstream' });
  });

  it('defaults to x-api-key', () => {
    const headers: HeaderBag = {};
    anthropicAdapter.writeCredential(headers, q(), 'sk-ant-upstream', undefined);
    expect(headers).toEqual({ 'x-api-key': 'sk-ant-upstream' });
    anthropicAdapter.writeCredential(headers, q(), 'sk-ant-2', 'query-key');
    expect(headers).toEqual({ 'x-api-key': 'sk-ant-2' });
  });
});

describe('renderAnthropicError', () => {
  it('renders the Anthropic error envelope with the request id', () => {
    const out = anthropicAdapter.renderError(new GatewayError('invalid_api_key', 'The API key is not valid.'), 'req_tg_1');
    expect(out).toEqual({
      status: 401,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'error', error: { type: 'authentication_error', message: 'The API key is not valid.' }, request_id: 'req_tg_1' }),
    });
  });

  it('maps each status to its error type', () => {
    const cases = [
      ['invalid_request', 400, 'invalid_request_error'],
      ['missing_api_key', 401, 'authentication_error'],
      ['unknown_route', 404, 'not_found_error'],
      ['method_not_allowed', 405, 'invalid_request_error'],
      ['body_too_large', 413, 'request_too_large'],
      ['internal', 500, 'api_error'],
      ['upstream_unreachable', 502, 'api_error'],
      ['upstream_timeout', 504, 'timeout_error'],
    ] as const;
    for (const [code, status, type] of cases) {
      const out = anthropicAdapter.renderError(new GatewayError(code, 'x', { headers: { 'retry-after': '3' } }), 'r');
      expect(out.status).toBe(status);
      expect(out.headers).toEqual({ 'content-type': 'application/json', 'retry-after': '3' });
      expect(JSON.parse(out.body)).toMatchObject({ type: 'error', error: { type } });
    }
  });
});

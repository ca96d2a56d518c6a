import { describe, expect, it } from 'vitest';
import { NO_QUOTA_REST_MS, errorFromBody, errorFromValue } from './upstream-error.js';

describe('upstream errors', () => {
  it("names an OpenAI 429 by its code, not the limit's scope in its type (requests, tokens)", () => {
    const body = (type: string, code: string) => JSON.stringify({ error: { message: 'Rate limit reached', type, param: null, code } });
    expect(errorFromBody(body('requests', 'rate_limit_exceeded'), 429).type).toBe('rate_limit_exceeded');
    expect(errorFromBody(body('tokens', 'rate_limit_exceeded'), 429).type).toBe('rate_limit_exceeded');
    expect(errorFromBody(body('insufficient_quota', 'insufficient_quota'), 429).type).toBe('insufficient_quota');
    // No credit left is no passing limit: its deployment rests long, a rate limit not at all here.
    expect(errorFromBody(body('insufficient_quota', 'insufficient_quota'), 429).restMs).toBe(NO_QUOTA_REST_MS);
    expect(errorFromBody(body('requests', 'rate_limit_exceeded'), 429).restMs).toBeUndefined();
  });

  it('keeps the type where it names the error (Anthropic, OpenAI invalid requests, Gemini status)', () => {
    expect(errorFromValue({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } })?.type).toBe('overloaded_error');
    expect(errorFromValue({ error: { type: 'invalid_request_error', code: 'context_length_exceeded', message: 'x' } })?.type).toBe('invalid_request_error');
    expect(errorFromValue({ error: { code: 429, status: 'RESOURCE_EXHAUSTED', message: 'x' } })?.type).toBe('RESOURCE_EXHAUSTED');
  });

  it('reads the wait a Gemini 429 asks for from its RetryInfo detail, as it sends no retry-after', () => {
    const gemini = (details: unknown[]) => JSON.stringify({ error: { code: 429, message: 'Quota exceeded', status: 'RESOURCE_EXHAUSTED', details } });
    const quota = { '@type': 'type.googleapis.com/google.rpc.QuotaFailure', violations: [] };
    expect(errorFromBody(gemini([quota, { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '37s' }]), 429)).toEqual({ type: 'RESOURCE_EXHAUSTED', message: 'Quota exceeded', retryAfterMs: 37_000 });
    expect(errorFromBody(gemini([{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '1.5s' }]), 429).retryAfterMs).toBe(1500);
    for (const retryDelay of ['soon', '-3s', 37, '37']) expect(errorFromBody(gemini([{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay }]), 429).retryAfterMs).toBeUndefined();
    expect(errorFromBody(gemini([quota]), 429)).toEqual({ type: 'RESOURCE_EXHAUSTED', message: 'Quota exceeded' });
  });
});

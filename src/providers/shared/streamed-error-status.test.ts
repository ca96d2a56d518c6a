import { describe, expect, it } from 'vitest';
import { streamedErrorStatus } from './upstream-error.js';

describe('the status an error event inside a 200 stream stands for', () => {
  it('is 429 for a rate limit, 400 for the client’s own mistake, 529 for overloaded and 500 otherwise', () => {
    expect(streamedErrorStatus('rate_limit_error')).toBe(429);
    expect(streamedErrorStatus('insufficient_quota')).toBe(429);
    expect(streamedErrorStatus('invalid_request_error')).toBe(400);
    expect(streamedErrorStatus('overloaded_error')).toBe(529);
    expect(streamedErrorStatus('api_error')).toBe(500);
    expect(streamedErrorStatus('server_error')).toBe(500);
    expect(streamedErrorStatus(null)).toBe(500);
  });

  it('reads Gemini’s google.rpc codes as the statuses they stand for', () => {
    expect(streamedErrorStatus('RESOURCE_EXHAUSTED')).toBe(429);
    expect(streamedErrorStatus('UNAVAILABLE')).toBe(503);
    expect(streamedErrorStatus('INTERNAL')).toBe(500);
    expect(streamedErrorStatus('INVALID_ARGUMENT')).toBe(400);
    expect(streamedErrorStatus('UNAUTHENTICATED')).toBe(400);
    expect(streamedErrorStatus('FAILED_PRECONDITION')).toBe(400);
  });

  it('reads the codes of a failed Response: its input is the fault of all but three', () => {
    expect(streamedErrorStatus('server_error')).toBe(500);
    expect(streamedErrorStatus('rate_limit_exceeded')).toBe(429);
    expect(streamedErrorStatus('vector_store_timeout')).toBe(500);
    for (const code of ['invalid_prompt', 'data_residency_mismatch', 'bio_policy', 'image_too_large', 'image_parse_error', 'image_content_policy_violation', 'unsupported_image_media_type', 'empty_image_file', 'failed_to_download_image', 'image_file_not_found']) {
      expect(streamedErrorStatus(code)).toBe(400);
    }
  });
});

import { credentialRules } from '../shared/credentials.js';

/**
 * Claude Code and older SDKs send `x-api-key`; `@anthropic-ai/sdk` 1.x sends
 * `Authorization: Bearer` (protocols.md §3.1). `x-api-key` is looked at first because a
 * Bearer alongside it is an OAuth token, and it is the default place every API version accepts.
 */
export const anthropicCredential = credentialRules(['x-api-key', 'authorization'], 'x-api-key');

/** The `anthropic-version` the gateway's own calls to Anthropic send, unless the provider's configured headers name one. */
export const ANTHROPIC_VERSION = '2023-06-01';

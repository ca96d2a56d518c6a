import type { DialectAdapter } from '../types.js';
import { anthropicCredential } from './credential.js';
import { renderAnthropicError } from './render-error.js';
import { inspectAnthropicRequest } from './request.js';
import { lookupAnthropicRoute } from './routes.js';
import { MESSAGES_PREAMBLE } from './stream.js';
import { createAnthropicTap } from './tap.js';

/** Anthropic Messages and count_tokens, as spoken by the SDKs and Claude Code. */
export const anthropicAdapter: DialectAdapter = {
  dialect: 'anthropic',
  matchRoute(method, pathname) {
    const found = lookupAnthropicRoute(method, pathname);
    return found.kind === 'match' ? found.route : undefined;
  },
  claims: (headers) => headers['anthropic-version'] !== undefined || headers['x-api-key'] !== undefined,
  readCredential: anthropicCredential.read,
  writeCredential: anthropicCredential.write,
  inspectRequest: inspectAnthropicRequest,
  rewriteRequest: () => undefined,
  createTap: createAnthropicTap,
  streamPreamble: (route) => (route.api === 'anthropic.messages' ? MESSAGES_PREAMBLE : undefined),
  renderError: renderAnthropicError,
};

import type { DialectAdapter } from '../types.js';
import { openaiCredential } from './credential.js';
import { renderOpenaiError } from './render-error.js';
import { inspectOpenaiForm, inspectOpenaiRequest } from './request.js';
import { RESPONSES_PREAMBLE } from './responses-stream.js';
import { rewriteOpenaiRequest } from './rewrite.js';
import { lookupOpenaiRoute } from './routes.js';
import { createOpenaiTap } from './tap.js';

/** OpenAI Chat Completions, Responses, Embeddings, Images and Models, and the local servers that copy them. */
export const openaiAdapter: DialectAdapter = {
  dialect: 'openai',
  matchRoute(method, pathname) {
    const found = lookupOpenaiRoute(method, pathname);
    return found.kind === 'match' ? found.route : undefined;
  },
  claims: () => false,
  readCredential: openaiCredential.read,
  writeCredential: openaiCredential.write,
  inspectRequest: inspectOpenaiRequest,
  inspectForm: inspectOpenaiForm,
  rewriteRequest: rewriteOpenaiRequest,
  createTap: createOpenaiTap,
  // A stored response retrieved with `?stream=true` is its events again.
  streamPreamble: (route) => (route.api === 'openai.responses' || route.api === 'openai.responses_lookup' ? RESPONSES_PREAMBLE : undefined),
  renderError: renderOpenaiError,
};

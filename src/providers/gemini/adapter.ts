import type { DialectAdapter } from '../types.js';
import { geminiCredential } from './credential.js';
import { renderGeminiError } from './render-error.js';
import { inspectGeminiRequest } from './request.js';
import { lookupGeminiRoute } from './routes.js';
import { createGeminiTap } from './tap.js';

/** Gemini Developer API generateContent and streamGenerateContent (SSE or JSON array). */
export const geminiAdapter: DialectAdapter = {
  dialect: 'gemini',
  matchRoute(method, pathname) {
    const found = lookupGeminiRoute(method, pathname);
    return found.kind === 'match' ? found.route : undefined;
  },
  claims: (headers) => headers['x-goog-api-key'] !== undefined,
  readCredential: geminiCredential.read,
  writeCredential: geminiCredential.write,
  inspectRequest: inspectGeminiRequest,
  rewriteRequest: () => undefined,
  createTap: createGeminiTap,
  renderError: renderGeminiError,
};

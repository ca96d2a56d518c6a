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
  // `?key=` beside a Bearer is not taken as Gemini's: the Bearer is the OpenAI clients' key, and the query theirs to fill.
  // The query is parsed only for a request with neither key header (most carry one): this runs for every request.
  claims: (headers, search) => headers['x-goog-api-key'] !== undefined || (headers.authorization === undefined && search !== '' && new URLSearchParams(search).has('key')),
  readCredential: geminiCredential.read,
  writeCredential: geminiCredential.write,
  inspectRequest: inspectGeminiRequest,
  rewriteRequest: () => undefined,
  createTap: createGeminiTap,
  renderError: renderGeminiError,
};

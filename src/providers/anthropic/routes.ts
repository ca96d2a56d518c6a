import { type RouteLookup, type RouteSpec, lookupIn, modelAfter, resourceAt, subResourceAt } from '../shared/routes.js';

const BATCHES = '/v1/messages/batches';

const batch = (suffix: string) => resourceAt(BATCHES, suffix);
const FILES = '/v1/files';
const SKILLS = '/v1/skills';
const skillVersion = (suffix: string) => subResourceAt(SKILLS, 'versions', suffix);

/**
 * Paths only: `?beta=true` (sent by Claude Code on count_tokens) is the caller's query string.
 * `/v1/models` is OpenAI's path too: the gateway looks Anthropic's up first when the request
 * says it is for Anthropic (see `preferredDialects`). Message Batches' own requests are free;
 * what a batch's requests cost is billed from its results (src/metering/batch-results.ts).
 */
export const ANTHROPIC_ROUTES: readonly RouteSpec[] = [
  { api: 'anthropic.messages', method: 'POST', path: '/v1/messages' },
  { api: 'anthropic.count_tokens', method: 'POST', path: '/v1/messages/count_tokens' },
  { api: 'anthropic.models', method: 'GET', path: '/v1/models', noBody: true },
  { api: 'anthropic.models', method: 'GET', path: modelAfter('/v1/models/'), noBody: true },
  { api: 'anthropic.batches', method: 'POST', path: BATCHES },
  { api: 'anthropic.batches', method: 'GET', path: BATCHES, noBody: true },
  { api: 'anthropic.batches', method: 'GET', path: batch(''), noBody: true },
  { api: 'anthropic.batches', method: 'DELETE', path: batch(''), noBody: true },
  { api: 'anthropic.batches', method: 'POST', path: batch('/cancel'), noBody: true },
  { api: 'anthropic.batch_results', method: 'GET', path: batch('/results'), noBody: true },
  // The Files API (beta): uploads, listing, metadata, downloads and deletes are free; a file is read when a message names it.
  { api: 'anthropic.files', method: 'POST', path: FILES, rawBody: true, firstOnly: true },
  { api: 'anthropic.files', method: 'GET', path: FILES, noBody: true, firstOnly: true },
  { api: 'anthropic.files', method: 'GET', path: resourceAt(FILES, ''), noBody: true, firstOnly: true },
  { api: 'anthropic.files', method: 'DELETE', path: resourceAt(FILES, ''), noBody: true, firstOnly: true },
  { api: 'anthropic.file_content', method: 'GET', path: resourceAt(FILES, '/content'), noBody: true, firstOnly: true },
  // Skills (and the GA `client.skills`, on the same paths), which a Messages request's container loads: free. Uploads are streamed.
  { api: 'anthropic.skills', method: 'POST', path: SKILLS, rawBody: true, firstOnly: true },
  { api: 'anthropic.skills', method: 'GET', path: SKILLS, noBody: true, firstOnly: true },
  { api: 'anthropic.skills', method: 'GET', path: resourceAt(SKILLS, ''), noBody: true, firstOnly: true },
  { api: 'anthropic.skills', method: 'DELETE', path: resourceAt(SKILLS, ''), noBody: true, firstOnly: true },
  { api: 'anthropic.skill_versions', method: 'POST', path: resourceAt(SKILLS, '/versions'), rawBody: true, firstOnly: true },
  { api: 'anthropic.skill_versions', method: 'GET', path: resourceAt(SKILLS, '/versions'), noBody: true, firstOnly: true },
  { api: 'anthropic.skill_versions', method: 'GET', path: skillVersion(''), noBody: true, firstOnly: true },
  { api: 'anthropic.skill_versions', method: 'DELETE', path: skillVersion(''), noBody: true, firstOnly: true },
  { api: 'anthropic.skill_content', method: 'GET', path: skillVersion('/content'), noBody: true, firstOnly: true },
];

export function lookupAnthropicRoute(method: string, pathname: string, first = true): RouteLookup {
  return lookupIn('anthropic', ANTHROPIC_ROUTES, method, pathname, first);
}

import { AGENT_ID_TAG, CLIENT_VERSION_TAG, PARENT_AGENT_ID_TAG, type LedgerRow } from '../core/ledger-row.js';

/**
 * The prefix of Tollgate's own tags in FOCUS `Tags` (provider-defined tags, in FOCUS's words), named
 * in the schema metadata's `ProviderTagPrefixes`. A request's tag names are letters, digits, `_`,
 * `.` and `-`, so no tag of the user's can take one of these names.
 */
export const TAG_PREFIX = 'tollgate/';

/** The upstream dialects the gateway writes in `translated` (src/gateway/translated.ts). */
const TRANSLATIONS = new Set(['openai', 'anthropic', 'responses']);
const BATCH_APIS = new Set<string>(['openai.batch_request', 'anthropic.batch_message', 'gemini.batch_request']);
const BATCH_TAGS = new Set(['batch_id', 'output_file_id', 'custom_id']);

/**
 * Whether the gateway set this tag of the row rather than the client: its `cache=auto` mark (a
 * client's is refused), a translated request's dialect (set over any client tag of that name), and
 * a batch result's ids (set over the submitting request's tags), and the client's version and
 * subagent (the names are Tollgate's; a client whose headers name none may send its own).
 */
function setByGateway(r: LedgerRow, key: string, value: string): boolean {
  if (key === CLIENT_VERSION_TAG || key === AGENT_ID_TAG || key === PARENT_AGENT_ID_TAG) return true;
  if (key === 'cache') return value === 'auto';
  if (key === 'translated') return TRANSLATIONS.has(value);
  return BATCH_TAGS.has(key) && BATCH_APIS.has(r.api);
}

/**
 * The request's tags as sent (FOCUS forbids altering them), then Tollgate's own under its
 * prefix: the tags the gateway set, and the attribution.
 */
export function tagsOf(r: LedgerRow): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const k of Object.keys(r.tags).sort()) {
    const v = r.tags[k]!;
    tags[setByGateway(r, k, v) ? TAG_PREFIX + k : k] = v;
  }
  const attribution = { user: r.user, team: r.team, project: r.project, session: r.sessionId, client: r.client, pool: r.pool };
  for (const [k, v] of Object.entries(attribution)) if (v) tags[TAG_PREFIX + k] = v;
  return tags;
}

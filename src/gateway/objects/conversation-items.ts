import type { Dispatcher } from 'undici';
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { ObjectOwner } from '../../identity/stored-objects.js';
import type { RequestFacts } from '../../metering/build-row.js';
import { asArray, asObject, asText } from '../../providers/shared/json.js';
import { askJson } from '../ask-upstream.js';
import type { ObjectOwners } from './owners.js';
import type { ProviderTable, UpstreamProvider } from '../select-provider.js';

/** Items asked for a page, and pages read at most: a creation takes 20 items, one page. */
const PAGE_SIZE = 100;
const MAX_PAGES = 10;
/** Tries of a page the provider fails to give (a 5xx, no answer), this long apart. */
const TRIES = 3;
const RETRY_MS = 1_000;
/** How long one page may take. */
const ASK_MS = 10_000;

export interface CreatedItemsDeps {
  agent: Dispatcher;
  providers: ProviderTable;
  log: Logger;
  objects?: ObjectOwners;
  /** Between tries of a page (RETRY_MS); tests shorten it. */
  retryMs?: number;
}

/**
 * After a conversation was created with items through the gateway (`POST /v1/conversations` with
 * `items`, ObjectHold.itemsToLearn), whose answer names the conversation but not its items: lists
 * them from the provider that made it (`GET /v1/conversations/{id}/items`, every page, with the key
 * Tollgate holds for it) in the background, off the client's path, and records each as the
 * conversation owner's, as a listing through the gateway would. Until the listing ends, a request of
 * the owner's team naming an item this gateway does not know waits for it (ObjectOwners.learn), so
 * its next request finds the items. A listing that fails records nothing: the items stay refused, as any
 * object not seen made, until they are listed through the gateway.
 */
export function learnCreatedItems(d: CreatedItemsDeps, f: RequestFacts, owner: ObjectOwner): void {
  const conversation = f.responseId;
  const provider = d.providers.byName(f.provider);
  if (d.objects === undefined || f.status < 200 || f.status >= 300 || conversation === null || conversation === '' || provider?.dialect !== 'openai') return;
  d.objects.learn(listItems({ ...d, objects: d.objects }, provider, conversation, owner), owner);
}

async function listItems(d: CreatedItemsDeps & { objects: ObjectOwners }, provider: UpstreamProvider, conversation: string, owner: ObjectOwner): Promise<void> {
  const headers: Record<string, string> = { ...provider.headers };
  if (provider.apiKey !== undefined) headers.authorization = `Bearer ${provider.apiKey}`;
  const base = `${provider.baseUrl}/v1/conversations/${encodeURIComponent(conversation)}/items?limit=${PAGE_SIZE}&order=asc`;
  let after: string | undefined;
  for (let n = 0; n < MAX_PAGES; n++) {
    const page = await askPage(d, after === undefined ? base : `${base}&after=${encodeURIComponent(after)}`, headers, conversation);
    if (page === undefined) return;
    const ids = (asArray(page.data) ?? []).map((i) => asText(asObject(i)?.id)).filter((id): id is string => id !== undefined);
    if (!(await record(d, ids, owner, conversation))) return;
    after = page.has_more === true ? (asText(page.last_id) ?? ids.at(-1)) : undefined;
    if (after === undefined) return;
  }
  d.log.warn("a conversation's items were not all listed: more pages than read", { conversation, pages: MAX_PAGES });
}

/** One page of the conversation's items, tried again on a failure; undefined when the provider does not have it or never answered. */
async function askPage(d: CreatedItemsDeps, url: string, headers: Record<string, string>, conversation: string) {
  for (let tried = 1; ; tried++) {
    const asked = await askJson(d.agent, url, headers, ASK_MS);
    if (asked.kind === 'json') return asked.body;
    // Deleted already, or the key cannot see it: nothing of it can be used.
    if (asked.kind === 'unknown') return undefined;
    if (tried >= TRIES) {
      d.log.warn("could not list the items a conversation was created with; they stay refused until listed through the gateway", { conversation, reason: asked.reason });
      return undefined;
    }
    // Unref'd: a gateway shutting down does not wait for a retry (its flush waits LEARN_WAIT_MS at most).
    await new Promise((r) => setTimeout(r, d.retryMs ?? RETRY_MS).unref());
  }
}

/**
 * Records the items for the conversation's owner, those with no owner yet: an item another key
 * already owns (one the creation's items were copied from) keeps its owner. Nothing is recorded
 * when storage cannot tell (false): an item given an owner storage might contradict could let
 * another team in, where one left unknown is only refused.
 */
async function record(d: { objects: ObjectOwners; log: Logger }, ids: string[], owner: ObjectOwner, conversation: string): Promise<boolean> {
  if (ids.length === 0) return true;
  let owned: Map<string, ObjectOwner>;
  try {
    owned = await d.objects.owners(ids, false, "may see a conversation's items");
  } catch (err) {
    d.log.warn("a conversation's items were not recorded: storage did not answer", { conversation, err: errorMessage(err) });
    return false;
  }
  const now = Date.now();
  d.objects.made(ids.filter((id) => !owned.has(id)).map((id) => ({ id, api: 'openai.conversation_items', keyId: owner.keyId, team: owner.team, createdAt: now })));
  return true;
}

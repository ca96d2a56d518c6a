import type { Dialect } from '../../core/api.js';
import type { Identity } from '../../identity/identify.js';
import { type ObjectOwner, ownerOf } from '../../identity/stored-objects.js';
import type { RequestFacts } from '../../metering/build-row.js';
import type { RouteMatch } from '../../providers/types.js';
import { type ObjectHold, createsWithItems, deletedObjects, lapsedObjects, listsObjects, madeObjects, namedObjects, storesChat } from './access.js';
import type { ObjectOwners } from './owners.js';

/**
 * Before a request about stored objects (touchesObjects) goes upstream: refuses one that names an
 * object its caller may not use, marks a list for filtering, and notes whose objects it makes. `raw`:
 * the body's bytes, when at hand, to skip looking through messages that name no file. A promise
 * only when there are owners to check: every chat and Messages request passes here, and most
 * name no object, so they do not wait a turn for nothing.
 */
export function guardObjects(objects: ObjectOwners, hold: ObjectHold, route: RouteMatch, json: unknown, who: Identity, raw?: Buffer): Promise<void> | undefined {
  const owner = ownerOf(who);
  if (owner === undefined) return;
  hold.owner = owner;
  // A Response the provider is told not to keep (`store: false`, as Codex sends) makes nothing to record but containers; what it names is still checked.
  if ((route.api === 'openai.responses' || route.api === 'gemini.interactions') && (json as { store?: unknown } | undefined)?.store === false) hold.unstored = true;
  // A chat completion is kept only when asked (`store: true`); one translated keeps nothing (proxy.ts unsets it).
  if (storesChat(route, json)) hold.storedChat = true;
  if (createsWithItems(route, json)) hold.itemsToLearn = true;
  if (objects.mode === 'shared') return;
  if (listsObjects(route)) {
    hold.list = true;
    return;
  }
  const named = namedObjects(route, json, raw);
  if (named.length === 0) return;
  return objects.checkAll(named, owner).then((owners) => {
    if (route.resourceId !== undefined) hold.pathOwner = owners.get(route.resourceId);
  });
}

/**
 * At a request's end, what it did to stored objects: those it made are their owners' (madeObjects), the one it
 * deleted is forgotten, and so is one the provider answered 404 for, where that provider alone could keep it (`soleKeeper`).
 */
export function settleObjects(objects: ObjectOwners, f: RequestFacts, hold: ObjectHold, route: RouteMatch, soleKeeper: (d: Dialect) => boolean): void {
  objects.made(madeObjects(f, hold, route));
  objects.gone(deletedObjects(route, f.status));
  // The provider's 404 alone: the gateway's own (a key refused another's object) says nothing of the object, and
  // forgetting its owner on it let any key of another team take an object from its owner, and hid it from lists meanwhile.
  const lapsed = f.outcome === 'upstream_error' ? lapsedObjects(route, f.status) : [];
  if (lapsed.length > 0 && soleKeeper(route.dialect)) objects.lapsed(lapsed, Date.now());
}

/** RequestInfo.madeObject for a streamed Response (or interaction: `api`) of `owner`. */
export function streamedResponse(objects: ObjectOwners, owner: ObjectOwner, ts: number, api: 'openai.responses' | 'gemini.interactions' = 'openai.responses'): (id: string) => void {
  return (id) => objects.made([{ id, api, keyId: owner.keyId, team: owner.team, createdAt: ts }]);
}

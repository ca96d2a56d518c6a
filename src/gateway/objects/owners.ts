import { GatewayError, errorMessage } from '../../core/errors.js';
import { within } from '../../core/within.js';
import type { Logger } from '../../core/logger.js';
import { type ObjectOwner, type StoredObjectsMode, mayUse } from '../../identity/stored-objects.js';
import type { NamedObjects } from './access.js';
import type { ObjectOwnerStore, OwnedObject, RecordedOwner } from '../../storage/object-owners.js';
import { KnownOwners, knownOf } from './known-owners.js';

export interface ObjectOwnersDeps {
  mode: StoredObjectsMode;
  store: ObjectOwnerStore;
  log: Logger;
  /** Owners kept in memory (100,000: about 15 MB). */
  max?: number;
  /**
   * How long to wait before reading storage once more for an id it does not have (250 ms): another
   * gateway on the same storage may have answered its creation a moment ago, its write still on the way.
   */
  missWaitMs?: number;
  /** How long a read of storage may take (2 s): past it the request is refused as storage trouble (503), never let through. */
  readTimeoutMs?: number;
  /**
   * How long an owner known in memory is used before storage is read again for it (2 s, as a key is
   * kept): an admin may have given the object to another owner, or taken its owner away, from
   * another process (`tollgate objects assign --force`, `forget`).
   */
  refreshMs?: number;
}

/** Owners not yet written, at most: past it, the oldest are dropped (and logged) while storage is down. */
const MAX_QUEUE = 100_000;
const RETRY_MS = 5_000;
/**
 * How old an object must be before a 404 for it forgets its owner: a provider may not find, for a
 * moment, what it has just made (a read that reaches a replica the write has not), and an owner
 * forgotten for that would lock its own team out of the object for good.
 */
export const LAPSE_AFTER_MS = 5 * 60_000;
/** How long a check of an id not known waits for owners being learned from the provider (conversation-items.ts). */
export const LEARN_WAIT_MS = 2_000;

/** An owner storage is to forget: at once (deleted), or only if recorded at or before `before` (lapsed). */
interface Removal {
  id: string;
  before?: number;
}

/**
 * Which key made each stored object, for `auth.stored_objects`. An object is known in memory from
 * the moment its creation's answer is read, before the answer's last bytes reach its creator, so
 * the creator's next request finds it; storage gets it in the background, for the other gateways
 * sharing it and after a restart. A lookup reads memory, then storage for the ids memory lacks
 * and for those known longer than `refreshMs`. While storage fails, those known go on being used
 * (refreshed behind the request), as a key's last known state is.
 */
export class ObjectOwners {
  readonly mode: StoredObjectsMode;
  private readonly known: KnownOwners;
  private queue: OwnedObject[] = [];
  /** Objects gone whose owners storage has yet to forget: written after the owners queued before them. */
  private removals: Removal[] = [];
  /** The ids of `removals`, and of those being written: storage still has them, but a read must not bring them back. */
  private readonly forgetting = new Set<string>();
  private writing: Promise<void> | undefined;
  /** Owners being learned from the provider in the background (learn), with whose objects they are: a check that misses waits for them. */
  private readonly learning = new Map<Promise<void>, ObjectOwner>();
  private retry: NodeJS.Timeout | undefined;
  /** The last read of storage failed, and none has succeeded since: owners known are not waited on. */
  private failing = false;
  private refreshing: Promise<void> | undefined;
  private readonly d: ObjectOwnersDeps;

  constructor(d: ObjectOwnersDeps) {
    this.d = d;
    this.mode = d.mode;
    this.known = new KnownOwners(d.max ?? 100_000);
  }

  /** Objects just made: known here at once, written to storage in the background. */
  made(objects: readonly OwnedObject[]): void {
    if (objects.length === 0) return;
    // One known already is written, or on its way (a streamed Response, made known at its first event and again at its end).
    const now = Date.now();
    const fresh = objects.filter((o) => (o.replaces ? this.replace(o, now) : this.known.keep(o.id, knownOf(o, now))));
    if (fresh.length === 0) return;
    this.queue.push(...fresh);
    if (this.queue.length > MAX_QUEUE) {
      const dropped = this.queue.splice(0, this.queue.length - MAX_QUEUE);
      this.d.log.warn("stored objects' owners not written to storage, dropped: storage has been failing", { dropped: dropped.length });
    }
    this.write();
  }

  /**
   * Owners being learned from the provider (`lookup` calls made() with what it finds, `owner`'s
   * objects): until it ends, a check by a caller who may use `owner`'s objects of an id this gateway
   * does not know waits for it, LEARN_WAIT_MS at most, before it refuses. Another team's checks never wait for it.
   */
  learn(lookup: Promise<void>, owner: ObjectOwner): void {
    const p: Promise<void> = lookup.catch(() => undefined).finally(() => this.learning.delete(p));
    this.learning.set(p, owner);
  }

  /**
   * Objects made for the owner of another (`parent`), when it has one: the containers an ended batch's
   * requests ran code in, and the stored Responses, their items and the chat completions they made,
   * read by the gateway's own sweep rather than through a request of its owner.
   */
  async madeFor(parent: string, ids: readonly string[], api: string): Promise<void> {
    const owner = (await this.owners([parent], false, 'made the batch whose results name these objects')).get(parent);
    const now = Date.now();
    if (owner !== undefined) this.made(ids.map((id) => ({ id, api, keyId: owner.keyId, team: owner.team, createdAt: now })));
  }

  /**
   * An owner an admin gave (`owner`) or took away (undefined, with its parts, as storage forgot them)
   * through this gateway, storage written already: in memory at once, and no write of this gateway's
   * still on its way undoes it.
   */
  assigned(id: string, owner: ObjectOwner | undefined): void {
    this.known.drop(id, owner === undefined);
    this.queue = this.queue.filter((o) => o.id !== id && (owner !== undefined || o.parent !== id));
    this.removals = this.removals.filter((r) => r.id !== id);
    this.forgetting.delete(id);
    if (owner !== undefined) this.known.keep(id, { keyId: owner.keyId, team: owner.team, readAt: Date.now() });
  }

  /** Objects the provider has deleted (a DELETE through the gateway succeeded), and their parts: forgotten here at once, in storage in the background. */
  gone(ids: readonly string[]): void {
    if (ids.length === 0) return;
    const set = new Set(ids);
    for (const id of ids) this.known.drop(id, true);
    // Not yet written: never written.
    this.queue = this.queue.filter((o) => !set.has(o.id) && !(o.parent !== undefined && set.has(o.parent)));
    this.forget(ids.map((id) => ({ id })));
  }

  /**
   * Objects the provider answered 404 for, asked about by their path: expired, or deleted by the
   * provider or elsewhere. Forgotten as deleted ones are, unless made in the last LAPSE_AFTER_MS:
   * in memory when this gateway saw them made (and knows when), in storage by the time recorded.
   */
  lapsed(ids: readonly string[], now: number): void {
    const old = ids.filter((id) => {
      const madeAt = this.known.get(id)?.madeAt;
      return madeAt === undefined || now - madeAt >= LAPSE_AFTER_MS;
    });
    if (old.length === 0) return;
    // One read from storage and not made here: forgotten in memory, read again if storage keeps it.
    for (const id of old) this.known.drop(id, true);
    this.forget(old.map((id) => ({ id, before: now - LAPSE_AFTER_MS })));
  }

  private forget(removals: Removal[]): void {
    for (const r of removals) this.forgetting.add(r.id);
    this.removals.push(...removals);
    if (this.removals.length > MAX_QUEUE) for (const r of this.removals.splice(0, this.removals.length - MAX_QUEUE)) this.forgetting.delete(r.id);
    this.write();
  }

  /**
   * Refuses `ids` (with the provider's not-found, in the client's dialect) unless `caller` may use each
   * under the mode. An id no storage knows is refused: made elsewhere (those made through the gateway
   * before version 31 got their owners from the ledger, migration 32). Returns their owners.
   */
  async check(ids: readonly string[], caller: ObjectOwner, noun: string): Promise<Map<string, ObjectOwner>> {
    return this.checkAll([{ ids: [...ids], noun }], caller);
  }

  /** check() for the objects of several kinds a request names, in one read. */
  async checkAll(named: readonly NamedObjects[], caller: ObjectOwner): Promise<Map<string, ObjectOwner>> {
    const owners = await this.owners([...new Set(named.flatMap((n) => n.ids))], true, `may use the ${namedText(named)}`, caller);
    for (const n of named) {
      for (const id of n.ids) if (!mayUse(this.mode, owners.get(id), caller)) throw notOwned(n.noun, id, this.mode);
    }
    return owners;
  }

  /**
   * The recorded owners of those of `ids` that have one; `wait`: for those it lacks, wait for the
   * owners being learned (those `caller` may use, every one without it), then read storage again a
   * moment later (missWaitMs). Storage that fails or does not answer in time (readTimeoutMs) refuses
   * the request (503 `storage_unavailable`), saying what it could not tell (`question`).
   */
  async owners(ids: readonly string[], wait = true, question = 'may see each of the objects listed', caller?: ObjectOwner): Promise<Map<string, ObjectOwner>> {
    const out = new Map<string, ObjectOwner>();
    let missing: string[] = [];
    let stale: string[] = [];
    const now = Date.now();
    for (const id of ids) {
      const o = this.known.get(id);
      if (o) out.set(id, o);
      else missing.push(id);
      if (o && !o.unwritten && now - o.readAt >= (this.d.refreshMs ?? 2000)) stale.push(id);
    }
    if (stale.length > 0 && missing.length === 0 && this.failing) {
      // Storage failed lately: what is known serves now, rather than each request waiting out a read that may hang.
      this.refreshBehind(stale);
      stale = [];
    }
    if (missing.length > 0 || stale.length > 0) missing = await this.read(missing, out, question, stale);
    if (wait && missing.length > 0 && this.learning.size > 0) missing = await this.learned(missing, out, caller);
    if (wait && missing.length > 0 && (this.d.missWaitMs ?? 250) > 0) {
      await new Promise((r) => setTimeout(r, this.d.missWaitMs ?? 250));
      await this.read(missing, out, question);
    }
    return out;
  }

  /** Those of `missing` that the lookups under way for `caller` made known, once they end (or LEARN_WAIT_MS has passed): the rest are still missing. */
  private async learned(missing: string[], into: Map<string, ObjectOwner>, caller: ObjectOwner | undefined): Promise<string[]> {
    const lookups = [...this.learning].filter(([, owner]) => caller === undefined || mayUse(this.mode, owner, caller)).map(([p]) => p);
    if (lookups.length === 0) return missing;
    await this.learnt(lookups);
    return missing.filter((id) => {
      const o = this.known.get(id);
      if (o) into.set(id, o);
      return o === undefined;
    });
  }

  /** Once `lookups` have ended, or LEARN_WAIT_MS has passed. */
  private async learnt(lookups: Promise<void>[]): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((r) => (timer = setTimeout(r, LEARN_WAIT_MS)));
    await Promise.race([Promise.all(lookups), late]);
    clearTimeout(timer);
  }

  /** Waits for the owners recorded so far, and those being learned (LEARN_WAIT_MS at most), to be written (shutdown, tests). */
  async flush(): Promise<void> {
    if (this.learning.size > 0) await this.learnt([...this.learning.keys()]);
    while (this.writing || this.queue.length > 0 || this.removals.length > 0) {
      if (!this.writing) this.write();
      await this.writing;
      if (this.retry) break;
    }
  }

  close(): void {
    if (this.retry) clearTimeout(this.retry);
    this.retry = undefined;
  }

  private refreshBehind(stale: string[]): void {
    if (this.refreshing) return;
    this.refreshing = this.read([], new Map(), '', stale).then(
      () => (this.refreshing = undefined),
      () => (this.refreshing = undefined),
    );
  }

  /**
   * Reads storage for `ids` (not known here) and `stale` (known, to be read again), into `into`;
   * returns those of both storage has no owner for. Storage failing refuses the request if it
   * leaves any of `ids` untold; for `stale` alone, what is known stands.
   */
  private async read(ids: string[], into: Map<string, ObjectOwner>, question: string, stale: readonly string[] = []): Promise<string[]> {
    let found: Map<string, RecordedOwner>;
    const ms = this.d.readTimeoutMs ?? 2000;
    try {
      found = await within(this.d.store.owners([...ids, ...stale]), ms, `no answer within ${ms} ms`);
      this.failing = false;
    } catch (err) {
      this.failing = true;
      if (ids.length === 0) {
        this.d.log.warn("could not read stored objects' owners again; going on with those known", { ids: stale.length, err: errorMessage(err) });
        return [];
      }
      // Refused, never let through: an owner storage cannot tell might be any team.
      const message = `Tollgate cannot tell whether this key ${question} (auth.stored_objects: ${this.mode}): the storage that records who made each stored object did not answer (${errorMessage(err)}). Nothing was sent to the provider; retry shortly.`;
      this.d.log.warn("could not read stored objects' owners; request refused", { ids: ids.length, err: errorMessage(err) });
      throw new GatewayError('storage_unavailable', message, { headers: { 'retry-after': '5' } });
    }
    const now = Date.now();
    for (const id of stale) this.refreshed(id, found.get(id), into, now);
    for (const id of ids) {
      const o = found.get(id);
      if (o === undefined || this.forgetting.has(id) || (o.parent !== undefined && this.forgetting.has(o.parent))) continue;
      into.set(id, { keyId: o.keyId, team: o.team });
      this.known.keep(id, { ...o, readAt: now });
    }
    return [...ids, ...stale].filter((id) => !into.has(id));
  }

  /**
   * A known owner read again: kept, changed to storage's, or forgotten with its parts (an admin took
   * it away, or another gateway saw the object deleted: storage forgot its parts with it).
   */
  private refreshed(id: string, o: RecordedOwner | undefined, into: Map<string, ObjectOwner>, now: number): void {
    const k = this.known.get(id);
    if (k === undefined || k.unwritten || this.forgetting.has(id)) return;
    if (o === undefined) {
      this.known.drop(id, true);
      into.delete(id);
    } else if (o.keyId === k.keyId && o.team === k.team) {
      k.readAt = now;
    } else {
      this.known.drop(id, false);
      this.known.keep(id, { ...o, readAt: now });
      into.set(id, { keyId: o.keyId, team: o.team });
    }
  }

  /** An object made again under its name (OwnedObject.replaces): its new owner, unless it has that one already; a removal still to be written would take it off. */
  private replace(o: OwnedObject, now: number): boolean {
    const k = this.known.get(o.id);
    if (k !== undefined && k.keyId === o.keyId && k.team === o.team) return false;
    this.known.drop(o.id, false);
    this.removals = this.removals.filter((r) => r.id !== o.id);
    this.forgetting.delete(o.id);
    return this.known.keep(o.id, knownOf(o, now));
  }

  /** Owners storage now has: read again from it, from now on, as any other. */
  private written(batch: readonly OwnedObject[]): void {
    const now = Date.now();
    for (const o of batch) {
      const k = this.known.get(o.id);
      if (k?.unwritten && k.keyId === o.keyId && k.team === o.team) {
        k.unwritten = false;
        k.readAt = now;
      }
    }
  }

  /** Owners queued first, then removals: an object made and deleted at once is written before it is removed. */
  private write(): void {
    if (this.writing || this.retry) return;
    let undo: () => void;
    let op: Promise<void>;
    let done = () => {};
    if (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      op = this.d.store.add(batch);
      undo = () => (this.queue = [...batch, ...this.queue]);
      done = () => this.written(batch);
    } else if (this.removals.length > 0) {
      const batch = this.removals;
      this.removals = [];
      op = removeAll(this.d.store, batch);
      undo = () => (this.removals = [...batch, ...this.removals]);
      done = () => batch.forEach((r) => this.forgetting.delete(r.id));
    } else return;
    this.writing = op.then(
      () => {
        this.writing = undefined;
        done();
        this.write();
      },
      (err: unknown) => {
        this.writing = undefined;
        undo();
        this.d.log.warn("could not write stored objects' owners; retrying", { owners: this.queue.length, removed: this.removals.length, err: errorMessage(err) });
        this.retry = setTimeout(() => {
          this.retry = undefined;
          this.write();
        }, RETRY_MS);
        this.retry.unref();
      },
    );
  }
}

/** Deleted objects' owners in one statement; lapsed ones each only if recorded by its time. */
async function removeAll(store: ObjectOwnerStore, batch: readonly Removal[]): Promise<void> {
  const now = batch.filter((r) => r.before === undefined).map((r) => r.id);
  if (now.length > 0) await store.remove(now);
  for (const r of batch) if (r.before !== undefined) await store.remove([r.id], r.before);
}

/** A request's named objects, for a message: the first, and how many more. */
function namedText(named: readonly NamedObjects[]): string {
  const first = named.find((n) => n.ids.length > 0);
  const more = named.reduce((sum, n) => sum + n.ids.length, 0) - 1;
  if (first === undefined) return 'objects named';
  return `${first.noun} '${first.ids[0]}'${more > 0 ? ` and the ${more} other object${more > 1 ? 's' : ''} named` : ''}`;
}

/** The provider's own answer for an id it does not have: 404, which each SDK raises as its NotFound error. `where`: where the request names it. */
export function notOwned(noun: string, id: string, mode: StoredObjectsMode, where = ''): GatewayError {
  const whose = mode === 'team' ? "this key's team" : 'this key';
  return new GatewayError('object_not_owned', `No ${noun} with id '${id}' found${where}: it was not made through Tollgate by ${whose} (auth.stored_objects: ${mode}).`);
}

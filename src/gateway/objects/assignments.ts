import { DIALECTS, type Dialect } from '../../core/api.js';
import { newRequestId } from '../../core/ids.js';
import { type ObjectOwner, isTeamOwner } from '../../identity/stored-objects.js';
import type { OwnedObject } from '../../storage/object-owners.js';
import type { KeyRecord, Storage } from '../../storage/ports.js';
import { INTERACTION, type ObjectKind, readObjectId } from './id-shapes.js';

/** Who an admin gives objects to: a key (its team with it), or a team, every key of which may use them. */
export interface AssignInput {
  ids: readonly string[];
  key?: string;
  team?: string;
  /** A configured provider's name, or a dialect: whose objects the ids are. */
  provider?: string;
  /** Replace an owner recorded already. */
  force?: boolean;
}

/** What a change needs: storage, who makes it (for the audit log), the configured providers, and how a caller names each input (`--key` on the command line, `key` in a body). */
export interface AssignContext {
  storage: Pick<Storage, 'keys' | 'objects' | 'policy'>;
  actor: string;
  now: number;
  providers: readonly { name: string; dialect: Dialect }[];
  /** How the caller writes an input, with its value when given: `--provider claude`, `"provider": "claude"`. */
  say: (input: 'key' | 'team' | 'provider' | 'force', value?: string) => string;
}

/** An object's recorded owner, as `objects show` and the admin API give it; `owner` null when none is recorded. */
export interface ObjectView {
  id: string;
  /** `vector store`, by the id's shape; null for a shape Tollgate does not know. */
  kind: string | null;
  dialect: Dialect | null;
  api: string | null;
  owner: { key_id: string | null; team: string | null } | null;
  recorded_at: string | null;
}

export interface AssignedView extends ObjectView {
  /** The owner it had before, replaced with `force`; null when it had none. */
  previous: { key_id: string | null; team: string | null } | null;
  /** False when it had this owner already: nothing was written. */
  changed: boolean;
}

/** Objects that have another owner already: refused without `force`, none of the ids written. */
export class OwnedAlready extends Error {}
/** A key, or an owner to forget, that storage does not have. */
export class NotRecorded extends Error {}

/** A team's name, as a key's team is written (key-service.ts). */
const LABEL = /^[A-Za-z0-9_.@:+-]{1,128}$/;
const MAX_IDS = 1000;

/**
 * Gives each of `input.ids` its owner, recorded as the gateway records the owner of an object its
 * key made: a key with that key's own team, or a team alone (no key), which every key of the team may
 * use under `team` and `key` (stored-objects.ts). All or nothing: an id of a bad shape, or that has
 * another owner (unless `force`), writes none. Each change goes to the audit log.
 */
export async function assignObjects(c: AssignContext, input: AssignInput): Promise<AssignedView[]> {
  const dialect = input.provider === undefined ? undefined : dialectOf(input.provider, c);
  const said = c.say('provider', input.provider);
  const read = distinct(input.ids).map((text) => readObjectId(text, dialect, said));
  const owner = await ownerFor(c, input);
  const before = new Map((await c.storage.objects.records(read.map((r) => r.id))).map((r) => [r.id, r]));
  const taken = read.filter((r) => {
    const b = before.get(r.id);
    return b !== undefined && !sameOwner(b, owner);
  });
  if (taken.length > 0 && !input.force) {
    const list = taken.map((r) => `${r.id} is owned by ${ownerText(before.get(r.id)!)}`).join('; ');
    throw new OwnedAlready(`${list}. Nothing was changed: ${c.say('force')} replaces ${taken.length > 1 ? 'those owners' : 'the owner'}.`);
  }
  const fresh = read.filter((r) => !sameOwner(before.get(r.id), owner));
  // Without force, an owner recorded since the read above (another admin, a gateway) is kept, and said.
  await c.storage.objects.add(fresh.map((r) => ({ id: r.id, api: r.kind.api, keyId: owner.keyId, team: owner.team, createdAt: c.now, replaces: input.force === true })));
  const after = input.force || fresh.length === 0 ? undefined : new Map((await c.storage.objects.records(fresh.map((r) => r.id))).map((r) => [r.id, r]));
  const lost = after === undefined ? [] : fresh.filter((r) => !sameOwner(after.get(r.id), owner));
  for (const r of fresh) {
    if (lost.includes(r)) continue;
    const previous = before.get(r.id);
    await audit(c, 'object.assign', r.id, { api: r.kind.api, owner: ownerJson(owner), previous: previous === undefined ? null : ownerJson(previous) });
  }
  if (lost.length > 0) {
    const list = lost.map((r) => `${r.id} (${after!.has(r.id) ? ownerText(after!.get(r.id)!) : 'no owner'})`).join(', ');
    throw new OwnedAlready(`${list}: given another owner meanwhile, which was kept (${c.say('force')} replaces it); the other ids were given theirs.`);
  }
  return read.map((r) => {
    const b = before.get(r.id);
    const changed = !sameOwner(b, owner);
    const row: OwnedObject = changed || b === undefined ? { id: r.id, api: r.kind.api, ...owner, createdAt: c.now } : b;
    return { ...view(row.id, row, r.kind), previous: b === undefined ? null : ownerJson(b), changed };
  });
}

/** The recorded owners of `ids` (null for those without one). */
export async function showObjects(storage: Pick<Storage, 'objects'>, ids: readonly string[]): Promise<ObjectView[]> {
  const read = distinct(ids).map(readId);
  const rows = new Map((await storage.objects.records(read.map((r) => r.id))).map((r) => [r.id, r]));
  // An interaction's id tells its kind only as it was named (`interactions/…`) when none is recorded.
  return read.map(({ id, kind }) => view(id, rows.get(id), kindOf(id, rows.get(id)?.api) ?? kind));
}

/**
 * Forgets the owners of `ids`, so that no key may use them under `team` or `key` (as if Tollgate never
 * saw them made); the provider keeps the objects. All or nothing: an id without an owner forgets none.
 */
export async function forgetObjects(c: Pick<AssignContext, 'storage' | 'actor' | 'now'>, ids: readonly string[]): Promise<ObjectView[]> {
  const wanted = distinct(ids).map(plainId);
  const rows = new Map((await c.storage.objects.records(wanted)).map((r) => [r.id, r]));
  const none = wanted.filter((id) => !rows.has(id));
  if (none.length > 0) throw new NotRecorded(`no owner is recorded for ${none.join(', ')}: nothing was forgotten`);
  await c.storage.objects.remove(wanted);
  for (const id of wanted) await audit(c, 'object.forget', id, { api: rows.get(id)!.api, previous: ownerJson(rows.get(id)!) });
  return wanted.map((id) => view(id, rows.get(id), kindOf(id, rows.get(id)?.api)));
}

/** The owner as people read it: `key key_1 (alice, team platform)`, `team platform (every key of it)`. `keys`: to name a key's user and say it is revoked. */
export function ownerText(o: ObjectOwner, keys?: ReadonlyMap<string, KeyRecord>): string {
  if (isTeamOwner(o)) return `team ${o.team} (every key of it)`;
  if (o.keyId === null) return 'callers without a key (auth.anonymous)';
  const k = keys?.get(o.keyId);
  const about = [k?.user ? `user ${k.user}` : undefined, o.team === null ? 'no team' : `team ${o.team}`, k?.revokedAt != null ? 'REVOKED' : undefined].filter(Boolean).join(', ');
  return `key ${o.keyId} (${about})`;
}

async function ownerFor(c: AssignContext, input: AssignInput): Promise<ObjectOwner> {
  if ((input.key === undefined) === (input.team === undefined)) throw new RangeError(`give the objects to a key (${c.say('key')}) or to a team (${c.say('team')}), one of the two`);
  if (input.team !== undefined) {
    if (!LABEL.test(input.team)) throw new RangeError(`${c.say('team')} must be 1-128 characters of letters, digits and _ . @ : + -, as a key's team is`);
    return { keyId: null, team: input.team };
  }
  const key = (await c.storage.keys.list({ includeRevoked: true })).find((k) => k.id === input.key);
  if (key === undefined) throw new NotRecorded(`no key ${input.key} (${c.say('key')} takes a key's id, key_…, as \`tollgate keys list\` shows it)`);
  if (key.revokedAt !== null) throw new RangeError(`key ${key.id} is revoked: give the objects to a key in use, or to its team with ${c.say('team')}`);
  if (key.expiresAt !== null && key.expiresAt <= c.now) throw new RangeError(`key ${key.id} has expired: give the objects to a key in use, or to its team with ${c.say('team')}`);
  return { keyId: key.id, team: key.team };
}

function dialectOf(provider: string, c: AssignContext): Dialect {
  const named = c.providers.find((p) => p.name === provider);
  if (named !== undefined) return named.dialect;
  if ((DIALECTS as readonly string[]).includes(provider)) return provider as Dialect;
  const names = c.providers.map((p) => p.name);
  throw new RangeError(`${c.say('provider')} "${provider}" is not a provider of this config (${names.length > 0 ? names.join(', ') : 'none'}) nor a dialect (${DIALECTS.join(', ')})`);
}

/** An id to look up: one of a known shape as readObjectId reads it, any other as given (an owner the gateway recorded under it may be forgotten all the same). */
function plainId(text: string): string {
  return readId(text).id;
}

function readId(text: string): { id: string; kind?: ObjectKind } {
  try {
    return readObjectId(text, undefined, 'provider');
  } catch {
    const id = text.trim();
    if (id === '' || id.length > 1024 || /[\s\p{Cc}]/u.test(id)) throw new RangeError(`${JSON.stringify(id.slice(0, 80))} is not an object id`);
    return { id };
  }
}

/** The kind of a recorded object: by its shape, told apart by its API where two providers' share it (a skill's). */
function kindOf(id: string, api: string | undefined): ObjectKind | undefined {
  if (api === INTERACTION.api) return INTERACTION;
  const dialect = DIALECTS.find((d) => api?.startsWith(`${d}.`));
  try {
    return readObjectId(id, dialect, 'provider').kind;
  } catch {
    return undefined;
  }
}

function distinct(ids: readonly string[]): string[] {
  if (ids.length === 0) throw new RangeError('name at least one object id');
  if (ids.length > MAX_IDS) throw new RangeError(`at most ${MAX_IDS} object ids at once (${ids.length} given)`);
  return [...new Set(ids)];
}

function sameOwner(a: ObjectOwner | undefined, b: ObjectOwner): boolean {
  return a !== undefined && a.keyId === b.keyId && a.team === b.team;
}

function ownerJson(o: ObjectOwner): { key_id: string | null; team: string | null } {
  return { key_id: o.keyId, team: o.team };
}

function view(id: string, row: OwnedObject | undefined, kind: ObjectKind | undefined): ObjectView {
  return {
    id,
    kind: kind?.noun ?? null,
    dialect: kind?.dialect ?? null,
    api: row?.api ?? kind?.api ?? null,
    owner: row === undefined ? null : ownerJson(row),
    recorded_at: row === undefined ? null : new Date(row.createdAt).toISOString(),
  };
}

function audit(c: Pick<AssignContext, 'storage' | 'actor' | 'now'>, action: string, id: string, details: Record<string, unknown>): Promise<void> {
  return c.storage.policy.appendAudit({ id: `aud_${newRequestId(c.now).replace(/-/g, '')}`, ts: c.now, actor: c.actor, action, subject: `object:${id}`, details });
}


import { type ObjectOwner, mayUse } from '../../identity/stored-objects.js';
import type { readInputLine } from '../../providers/openai/batches.js';
import { lookupRoute } from '../../providers/registry.js';
import type { RouteMatch } from '../../providers/types.js';
import { type ObjectHold, namedObjects } from './access.js';
import { type ObjectOwners, notOwned } from './owners.js';

/** Ids gathered before their owners are read, at most: one read for many lines, and a bounded wait. */
const CHECK_EVERY = 1000;

/**
 * Whether a line can name a stored object: every key that names one ends `id"` (`file_id`,
 * `previous_response_id`, `container_id`, an item reference's `id`; not the line's own
 * `custom_id`), or is `container`, a Responses request's `conversation` (its id alone, as often
 * as `{id}`), a file search tool's `vector_store_ids` or Gemini's `cached_content`; JSON can
 * spell a key otherwise only with a `\u` escape.
 */
const MAY_NAME = /(?<!custom_)id"|container|conversation|vector_store|cached|\\u/;

/**
 * The stored objects the requests of an OpenAI batch's input file name, checked as
 * `auth.stored_objects` checks the same requests sent alone: the provider runs them with
 * Tollgate's key, so a batch could otherwise use another team's files, containers or items.
 * The file is read from the provider a line at a time (../batch-admission.ts), never held whole;
 * the ids are gathered, then their owners read, CHECK_EVERY at a time.
 */
export class BatchLineObjects {
  /** Each id not yet checked, and where the file first names it. */
  private pending = new Map<string, { noun: string; where: string }>();
  private readonly objects: ObjectOwners;
  private readonly owner: ObjectOwner;
  private readonly fileId: string;

  constructor(objects: ObjectOwners, owner: ObjectOwner, fileId: string) {
    this.objects = objects;
    this.owner = owner;
    this.fileId = fileId;
  }

  /** Whether `line` is worth parsing for this check. */
  mayName(line: string): boolean {
    return MAY_NAME.test(line);
  }

  /** Line `n`, read (`readInputLine`): the objects its request names wait for `check`. */
  add(request: NonNullable<ReturnType<typeof readInputLine>>, n: number): void {
    const found = lookupRoute('POST', request.path, ['openai']);
    if (found.kind !== 'match') return;
    for (const group of namedObjects(found.route, request.body)) {
      for (const id of group.ids) {
        if (this.pending.has(id)) continue;
        const custom = request.customId === undefined ? '' : `, custom_id ${JSON.stringify(request.customId)}`;
        this.pending.set(id, { noun: group.noun, where: ` (line ${n} of the batch's input file ${this.fileId}${custom})` });
      }
    }
  }

  /** Enough ids gathered to check them now. */
  get full(): boolean {
    return this.pending.size >= CHECK_EVERY;
  }

  /** Refuses (404 `object_not_owned`, naming the line) the first object gathered the caller may not use. */
  async check(): Promise<void> {
    if (this.pending.size === 0) return;
    const pending = this.pending;
    this.pending = new Map();
    const owners = await this.objects.owners([...pending.keys()], true, `may use the objects named in the batch's input file ${this.fileId}`);
    for (const [id, p] of pending) if (!mayUse(this.objects.mode, owners.get(id), this.owner)) throw notOwned(p.noun, id, this.objects.mode, p.where);
  }
}

/** The check of a batch creation's input file, when there is one to make: an OpenAI batch, created with a Tollgate key, stored objects kept apart. */
export function batchLines(objects: ObjectOwners | undefined, hold: ObjectHold, route: RouteMatch, json: unknown): BatchLineObjects | undefined {
  const fileId = (json as { input_file_id?: unknown } | undefined)?.input_file_id;
  if (objects === undefined || objects.mode === 'shared' || hold.owner === undefined || route.api !== 'openai.batches' || typeof fileId !== 'string') return undefined;
  return new BatchLineObjects(objects, hold.owner, fileId);
}

import type { Command } from 'commander';
import { type AssignedView, NotRecorded, type ObjectView, OwnedAlready, assignObjects, forgetObjects, ownerText, showObjects } from '../../gateway/objects/assignments.js';
import { DIALECT_NAMES } from '../../gateway/objects/id-shapes.js';
import type { Storage } from '../../storage/ports.js';
import { actorName } from '../rules.js';
import { type StorageFlags, addStorageFlags, withStorage } from '../context.js';
import { CommandError, type Io, UsageError } from '../output.js';

interface AssignFlags extends StorageFlags {
  key?: string;
  team?: string;
  provider?: string;
  force?: boolean;
  as?: string;
  json?: boolean;
}

const IDS = "the objects' ids, as the provider gives them: file-…, vs_…, cntr_…, resp_…, conv_…, skill_…, msgbatch_…, file_…, files/…, cachedContents/…, batches/…, interactions/… (a Gemini interaction, by its id)";
/** How soon other gateways on the same storage see a change: each reads an owner it knows again after this long. */
const HONOURED = 'Running gateways on this storage honour it within 2 seconds.';

/** `tollgate objects`: the owners of what providers store for Tollgate (auth.stored_objects), set, read and forgotten by an admin, in storage. */
export function objectsCommand(program: Command, io: Io): void {
  const objects = program.command('objects').description("Give stored objects (files, vector stores, skills, …) Tollgate did not see made an owner, see an object's owner, forget it (auth.stored_objects)");

  addStorageFlags(
    objects
      .command('assign')
      .description('Give objects to a key (as if it had made them) or to a team (every key of it), so that auth.stored_objects team or key lets them in')
      .argument('<ids...>', IDS)
      .option('--key <id>', "the key that owns them (key_…), with that key's team")
      .option('--team <team>', 'the team that owns them: every key of it may use them, under team and key')
      .option('--provider <name>', 'whose objects they are: a provider of the config, or openai, anthropic, gemini (needed for skill_…, which both OpenAI and Anthropic use)')
      .option('--force', 'replace an owner recorded already')
      .option('--as <name>', 'who gives them, for the audit log (default: your OS user)')
      .option('--json', 'print JSON'),
  ).action((ids: string[], flags: AssignFlags) =>
    withStorage(
      flags,
      async (storage, config) => {
        const context = { storage, actor: actorName(flags.as), now: Date.now(), providers: config.providers, say: (f: string, v?: string) => (v === undefined ? `--${f}` : `--${f} ${v}`) };
        const done = await change(() => assignObjects(context, { ids, key: flags.key, team: flags.team, provider: flags.provider, force: flags.force }));
        if (flags.json) return io.out(JSON.stringify(done, null, 2) + '\n');
        const keys = await keyRecords(storage);
        for (const v of done) io.out(assignedLine(v, keys));
        if (done.some((v) => v.changed)) io.out(`${HONOURED}\n`);
      },
      { read: true, noLedger: 'point --db or --config at the ledger the gateway uses (the owners are recorded there)' },
    ),
  );

  addStorageFlags(objects.command('show').description("Who owns each object, as the gateway records it").argument('<ids...>', IDS).option('--json', 'print JSON')).action(
    (ids: string[], flags: StorageFlags & { json?: boolean }) =>
      withStorage(
        flags,
        async (storage) => {
          const views = await change(() => showObjects(storage, ids));
          if (flags.json) return io.out(JSON.stringify(views, null, 2) + '\n');
          const keys = await keyRecords(storage);
          for (const v of views) io.out(shownLine(v, keys));
        },
        { read: true },
      ),
  );

  addStorageFlags(
    objects
      .command('forget')
      .description('Forget who owns objects: under auth.stored_objects team and key no key may use them then (the provider keeps them)')
      .argument('<ids...>', IDS)
      .option('--as <name>', 'who forgets them, for the audit log (default: your OS user)')
      .option('--json', 'print JSON'),
  ).action((ids: string[], flags: StorageFlags & { as?: string; json?: boolean }) =>
    withStorage(
      flags,
      async (storage) => {
        const gone = await change(() => forgetObjects({ storage, actor: actorName(flags.as), now: Date.now() }, ids));
        if (flags.json) return io.out(JSON.stringify(gone, null, 2) + '\n');
        const keys = await keyRecords(storage);
        for (const v of gone) io.out(`Forgot the owner of ${v.id}: ${ownerText(owner(v), keys)}. No key may use it now under auth.stored_objects team or key.\n`);
        io.out(`${HONOURED}\n`);
      },
      { read: true },
    ),
  );
}

/** A change's refusals as the CLI says them: bad input exit 2, an owner in the way or an unknown id exit 1. */
async function change<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof RangeError) throw new UsageError(`objects: ${err.message}`);
    if (err instanceof OwnedAlready || err instanceof NotRecorded) throw new CommandError(`objects: ${err.message}`);
    throw err;
  }
}

async function keyRecords(storage: Storage) {
  return new Map((await storage.keys.list({ includeRevoked: true })).map((k) => [k.id, k]));
}

function owner(v: ObjectView): { keyId: string | null; team: string | null } {
  return { keyId: v.owner!.key_id, team: v.owner!.team };
}

function what(v: ObjectView): string {
  return v.kind === null || v.dialect === null ? v.id : `${v.id} (${DIALECT_NAMES[v.dialect]} ${v.kind})`;
}

function assignedLine(v: AssignedView, keys: Awaited<ReturnType<typeof keyRecords>>): string {
  const now = ownerText(owner(v), keys);
  if (!v.changed) return `${what(v)} has this owner already: ${now}.\n`;
  const before = v.previous === null ? '' : `, instead of ${ownerText({ keyId: v.previous.key_id, team: v.previous.team }, keys)}`;
  return `Gave ${what(v)} to ${now}${before}.\n`;
}

function shownLine(v: ObjectView, keys: Awaited<ReturnType<typeof keyRecords>>): string {
  // An interaction is given by its resource name: its id alone has no shape to tell it by.
  const named = v.api === 'gemini.interactions' ? `interactions/${v.id}` : v.id;
  if (v.owner === null) return `${what(v)}: no owner recorded. Under auth.stored_objects team and key no key may use it; give it one with \`tollgate objects assign ${named} --key KEY_ID\` or \`--team TEAM\`.\n`;
  return `${what(v)}: ${ownerText(owner(v), keys)}, recorded ${v.recorded_at} (${v.api}).\n`;
}

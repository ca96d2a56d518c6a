import type { Command } from 'commander';
import { type PublicKey, createKey, publicKey } from '../../identity/key-service.js';
import { parseExpiry } from '../../identity/key-validity.js';
import { type StorageFlags, addStorageFlags, withStorage } from '../context.js';
import { type Io, UsageError } from '../output.js';

interface CreateFlags extends StorageFlags {
  user?: string;
  team?: string;
  project?: string;
  name?: string;
  expires?: string;
  json?: boolean;
}

export function keysCommand(program: Command, io: Io): void {
  const keys = program.command('keys').description('Create, list and revoke virtual keys (tg_…)');

  addStorageFlags(
    keys
      .command('create')
      .description('Create a virtual key; the key is shown once')
      .option('--user <user>', 'the developer the key belongs to')
      .option('--team <team>', 'the team it belongs to')
      .option('--project <project>', 'the project it belongs to')
      .option('--name <name>', 'a label for people')
      .option('--expires <when>', 'when the key stops working: 12h, 30d, 2w, a date (2027-01-31, midnight UTC) or an ISO timestamp (default: never)')
      .option('--json', 'print {"id","key","user","team","project","expires_at"}'),
  ).action((flags: CreateFlags) =>
    withStorage(flags, async (storage) => {
      let created;
      try {
        const now = Date.now();
        const expiresAt = flags.expires === undefined ? null : parseExpiry(flags.expires, now);
        created = await createKey(storage.keys, { user: flags.user ?? null, team: flags.team ?? null, project: flags.project ?? null, name: flags.name ?? null, expiresAt }, now);
      } catch (err) {
        if (err instanceof RangeError) throw new UsageError(`keys create: ${err.message}`);
        throw err;
      }
      if (flags.json) return io.out(JSON.stringify(created) + '\n');
      io.out(`Created ${created.id} for user=${created.user ?? '-'} team=${created.team ?? '-'} project=${created.project ?? '-'}${created.expires_at ? `, expiring ${created.expires_at}` : ''}\n\n  ${created.key}\n\nThis is the only time the key is shown. Store it now.\n`);
    }),
  );

  addStorageFlags(keys.command('list').description('List keys (never the key itself)').option('--all', 'include revoked keys').option('--json', 'print JSON')).action(
    (flags: StorageFlags & { all?: boolean; json?: boolean }) =>
      withStorage(flags, async (storage) => {
        const list = (await storage.keys.list({ includeRevoked: flags.all })).map(publicKey);
        if (flags.json) return io.out(JSON.stringify(list) + '\n');
        if (list.length === 0) {
          const revoked = flags.all ? 0 : (await storage.keys.list({ includeRevoked: true })).length;
          return io.out(revoked > 0 ? `No active keys (${revoked} revoked: list them with --all).\n` : 'No keys yet. Create one with `tollgate keys create --user U --team T`.\n');
        }
        const now = Date.now();
        for (const k of list) io.out(`${k.id}  ${k.prefix}…  user=${k.user ?? '-'} team=${k.team ?? '-'} project=${k.project ?? '-'}  created ${k.created_at}${expiry(k, now)}${k.revoked_at ? `  REVOKED ${k.revoked_at}` : ''}\n`);
      }),
  );

  addStorageFlags(keys.command('revoke').description('Revoke a key by id').argument('<id>', 'the key id (key_…)')).action((id: string, flags: StorageFlags) =>
    withStorage(flags, async (storage) => {
      const now = Date.now();
      const rec = await storage.keys.revoke(id, now);
      if (!rec) throw new UsageError(`keys revoke: no key ${id}`);
      if (rec.revokedAt !== null && rec.revokedAt < now) return io.out(`${rec.id} was already revoked, at ${new Date(rec.revokedAt).toISOString()}.\n`);
      io.out(`Revoked ${rec.id}. Running gateways refuse it within 2 seconds.\n`);
    }),
  );
}

/** `  expires …`, or `  EXPIRED …` once past, for a listing line. */
function expiry(k: PublicKey, now: number): string {
  if (k.expires_at === null) return '';
  return Date.parse(k.expires_at) <= now ? `  EXPIRED ${k.expires_at}` : `  expires ${k.expires_at}`;
}

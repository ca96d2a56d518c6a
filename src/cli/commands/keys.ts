import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { type PublicKey, createKey, publicKey } from '../../identity/key-service.js';
import { parseExpiry } from '../../identity/key-validity.js';
import { type StorageFlags, addStorageFlags, loadCliConfig, withStorage } from '../context.js';
import { CommandError, type Io, UsageError } from '../output.js';

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
  ).action((flags: CreateFlags) => {
    // A key made in a ledger no gateway uses is refused everywhere: say which storage it went to, and when it was new.
    const where = ledgerOf(flags);
    return withStorage(flags, async (storage) => {
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
      io.out(`Stored in ${where.label}${where.isNew ? ', a ledger created just now: a gateway knows the key only if it runs on the same storage (the same --config or --db)' : ''}.\n`);
    });
  });

  addStorageFlags(keys.command('list').description('List keys (never the key itself)').option('--all', 'include revoked keys').option('--json', 'print JSON')).action(
    (flags: StorageFlags & { all?: boolean; json?: boolean }) =>
      withStorage(
        flags,
        async (storage) => {
          const list = (await storage.keys.list({ includeRevoked: flags.all })).map(publicKey);
          if (flags.json) return io.out(JSON.stringify(list) + '\n');
          if (list.length === 0) {
            const revoked = flags.all ? 0 : (await storage.keys.list({ includeRevoked: true })).length;
            return io.out(revoked > 0 ? `No active keys (${revoked} revoked: list them with --all).\n` : 'No keys yet. Create one with `tollgate keys create --user U --team T`.\n');
          }
          const now = Date.now();
          for (const k of list) io.out(`${k.id}  ${k.prefix}…  user=${k.user ?? '-'} team=${k.team ?? '-'} project=${k.project ?? '-'}  created ${k.created_at}${expiry(k, now)}${k.revoked_at ? `  REVOKED ${k.revoked_at}` : ''}\n`);
        },
        { read: true },
      ),
  );

  addStorageFlags(keys.command('revoke').description('Revoke a key by id').argument('<id>', 'the key id (key_…)')).action((id: string, flags: StorageFlags) =>
    withStorage(
      flags,
      async (storage) => {
        const now = Date.now();
        const rec = await storage.keys.revoke(id, now);
        // A well-formed id that names no key: not a usage error (exit 1, as every other unknown id).
        if (!rec) throw new CommandError(`keys revoke: no key ${id}`);
        if (rec.revokedAt !== null && rec.revokedAt < now) return io.out(`${rec.id} was already revoked, at ${new Date(rec.revokedAt).toISOString()}.\n`);
        io.out(`Revoked ${rec.id}. Running gateways refuse it within 2 seconds.\n`);
      },
      { read: true },
    ),
  );
}

/** The storage a command's flags point at, for people, and whether a SQLite ledger there is yet to be made. */
function ledgerOf(flags: StorageFlags): { label: string; isNew: boolean } {
  const { storage } = loadCliConfig(flags);
  if (storage.kind === 'postgres') return { label: 'the Postgres ledger', isNew: false };
  if (storage.path === ':memory:') return { label: 'an in-memory ledger', isNew: true };
  return { label: `the ledger at ${storage.path}`, isNew: !existsSync(storage.path) };
}

/** `  expires …`, or `  EXPIRED …` once past, for a listing line. */
function expiry(k: PublicKey, now: number): string {
  if (k.expires_at === null) return '';
  return Date.parse(k.expires_at) <= now ? `  EXPIRED ${k.expires_at}` : `  expires ${k.expires_at}`;
}

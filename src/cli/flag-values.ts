import type { Command, Option } from 'commander';
import { UsageError } from './output.js';

/** A flag that takes one value: not a list (`--by a b`), not one made to repeat (`--dir`), not a switch. */
function single(o: Option): boolean {
  return (o.required || o.optional) && !o.variadic && o.parseArg === undefined;
}

/** Flags whose own check says more of an empty value than "must not be empty" (what to write instead). */
const OWN_EMPTY_CHECK = new Set(['--host', '--db', '--config', '--port', '--allow']);

/**
 * Refuses, as bad usage, what commander would take without a word:
 * - a flag that takes one value given twice (`--limit 5 … --limit 6`, `--since 7d --since 1d`),
 *   of which it keeps the last, so a script's default and its override, or a value mistyped and
 *   typed again, would set a budget silently (the admin API refuses a parameter given twice too);
 * - an empty value (`--push "$CENTRAL"`, `--since "$FROM"` with the variable unset), which most
 *   commands read as the flag left out: an import written locally, not pushed; a report of the
 *   whole ledger.
 * Hooks `cmd` and every command under it, once they are all added.
 */
export function refuseBadFlagValues(cmd: Command): void {
  const seen = new Map<string, string>();
  for (const o of cmd.options.filter((x) => x.required || x.optional)) {
    const flag = o.long ?? o.short ?? o.name();
    cmd.on(`option:${o.name()}`, (value: unknown) => {
      if (typeof value === 'string' && value.trim() === '' && !OWN_EMPTY_CHECK.has(flag)) throw new UsageError(`${flag} must not be empty: give it a value, or leave it out`);
      if (!single(o)) return;
      const before = seen.get(o.name());
      if (before !== undefined) throw new UsageError(`${flag} is given twice ("${before}", then "${String(value)}"): give it once`);
      seen.set(o.name(), String(value));
    });
  }
  for (const sub of cmd.commands) refuseBadFlagValues(sub);
}

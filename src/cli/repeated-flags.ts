import type { Command, Option } from 'commander';
import { UsageError } from './output.js';

/** A flag that takes one value: not a list (`--by a b`), not one made to repeat (`--dir`), not a switch. */
function single(o: Option): boolean {
  return (o.required || o.optional) && !o.variadic && o.parseArg === undefined;
}

/**
 * Refuses a flag that takes one value given twice (`--limit 5 … --limit 6`, `--since 7d --since 1d`):
 * commander would keep the last without a word, so a script's default and its override, or a
 * value mistyped and typed again, would set a budget silently. The admin API refuses a query
 * parameter given twice too. Hooks `cmd` and every command under it, once they are all added.
 */
export function refuseRepeatedFlags(cmd: Command): void {
  const seen = new Map<string, string>();
  for (const o of cmd.options.filter(single)) {
    cmd.on(`option:${o.name()}`, (value: string) => {
      const before = seen.get(o.name());
      if (before !== undefined) throw new UsageError(`${o.long ?? o.short ?? o.name()} is given twice ("${before}", then "${value}"): give it once`);
      seen.set(o.name(), value);
    });
  }
  for (const sub of cmd.commands) refuseRepeatedFlags(sub);
}

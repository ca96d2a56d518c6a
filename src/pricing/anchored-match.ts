import type { MatchLogic, ModelInfo, calcPrice } from '@pydantic/genai-prices';

/**
 * What may follow a catalog prefix and still be the same model: a release date, a
 * snapshot or preview tag, a Bedrock-style version. Anything else (`-5` after
 * `claude-sonnet-5`) is a different model and must not borrow its price.
 */
const VERSION_SUFFIX = /^(?:-\d{8}|@\d{8}|-\d{4}-\d{2}-\d{2}|-latest|-\d{3}|-preview(?:-[a-z0-9-]+)?|-exp(?:-[a-z0-9-]+)?|-v\d+(?::\d+)?)$/;

/** The catalog's own matching semantics (case-insensitive; `id` lower-cased and trimmed). */
export function catalogMatches(logic: MatchLogic, id: string): boolean {
  if ('or' in logic) return logic.or.some((l) => catalogMatches(l, id));
  if ('and' in logic) return logic.and.every((l) => catalogMatches(l, id));
  if ('equals' in logic) return id === logic.equals.toLowerCase();
  if ('starts_with' in logic) return id.startsWith(logic.starts_with.toLowerCase());
  if ('ends_with' in logic) return id.endsWith(logic.ends_with.toLowerCase());
  if ('contains' in logic) return id.includes(logic.contains.toLowerCase());
  return new RegExp(logic.regex).test(id);
}

/**
 * True when the catalog matched `modelId` by an exact rule, not by a look-alike name.
 * `equals` and `regex` clauses are exact by construction; `starts_with`, and `contains` at the
 * start of the id, only followed by a version suffix; `ends_with` only as the whole id.
 */
export function isAnchoredMatch(logic: MatchLogic, modelId: string): boolean {
  const id = modelId.toLowerCase().trim();
  if ('or' in logic) return logic.or.some((l) => isAnchoredMatch(l, id));
  if ('and' in logic) {
    // An `and` narrows a prefix with filters (e.g. "not a -tts model"): every clause must hold,
    // and every prefix in it must be anchored.
    const prefixes = logic.and.filter((l) => 'starts_with' in l || 'equals' in l);
    return logic.and.every((l) => catalogMatches(l, id)) && prefixes.length > 0 && prefixes.every((l) => isAnchoredMatch(l, id));
  }
  if ('equals' in logic) return id === logic.equals.toLowerCase();
  if ('regex' in logic) return new RegExp(logic.regex).test(id);
  if ('starts_with' in logic) return versionOf(id, logic.starts_with.toLowerCase());
  if ('contains' in logic) return versionOf(id, logic.contains.toLowerCase());
  if ('ends_with' in logic) return id === logic.ends_with.toLowerCase();
  return false;
}

/**
 * Whether `id` is `prefix` itself or a version of it. A prefix may end inside the version
 * (`claude-sonnet-4-2025` for `claude-sonnet-4-20250514`, `gpt-5-nano-` for
 * `gpt-5-nano-2025-08-07`): the version then runs from the prefix's last separator.
 */
function versionOf(id: string, prefix: string): boolean {
  if (!id.startsWith(prefix)) return false;
  const rest = id.slice(prefix.length);
  if (rest === '' || VERSION_SUFFIX.test(rest)) return true;
  const cut = Math.max(prefix.lastIndexOf('-'), prefix.lastIndexOf('@'));
  return cut > 0 && VERSION_SUFFIX.test(id.slice(cut));
}

/** The model the catalog's `calcPrice` finds for `model`, only if it matched by an exact rule. */
export function exactModel(calc: typeof calcPrice, provider: string, model: string): ModelInfo | undefined {
  const found = calc({ input_tokens: 0, output_tokens: 0 }, model, { providerId: provider });
  return found && isAnchoredMatch(found.model.match, model) ? found.model : undefined;
}

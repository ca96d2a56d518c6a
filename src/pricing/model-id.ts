/** What may follow a model's id and still name it: a snapshot date, or `-latest`. */
const SNAPSHOT = '(?:-\\d{8}|@\\d{8}|-\\d{4}-\\d{2}-\\d{2}|-latest)';
const DATE_SUFFIX = new RegExp(`^${SNAPSHOT}?$`);
const TRAILING_SNAPSHOT = new RegExp(`${SNAPSHOT}$`);

/** Whether `model` (as a provider reports it, any case) is the model `id`, or a dated snapshot of it. */
export function isModel(model: string, id: string): boolean {
  const m = model.toLowerCase();
  return m.startsWith(id) && DATE_SUFFIX.test(m.slice(id.length));
}

/** The model a dated snapshot is of (`claude-sonnet-4-5-20250929` → `claude-sonnet-4-5`), lower-cased. */
export function undated(model: string): string {
  return model.toLowerCase().replace(TRAILING_SNAPSHOT, '');
}

/**
 * Claude Code's label of its 1M-context mode, right after the model's id (`claude-sonnet-4-5[1m]`):
 * the model itself, given the 1M window by a beta header, not another model with prices of its own.
 * Any case, as Claude Code itself reads it (it strips `/\[1m\]$/i` before a request leaves).
 */
const CONTEXT_LABEL = /(?<=\S)\[1m\]$/i;

/**
 * The model a name carrying Claude Code's `[1m]` label is (`claude-sonnet-4-5[1m]` →
 * `claude-sonnet-4-5`); any other name as it is. Only that suffix: `[2m]`, `-1m` or
 * `claude-sonnet-4-5 [1m]` is a look-alike, and a look-alike is never priced as the model.
 */
export function withoutContextLabel(model: string): string {
  return model.replace(CONTEXT_LABEL, '');
}

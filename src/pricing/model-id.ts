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

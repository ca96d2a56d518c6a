/** What may follow a model's id and still name it: a snapshot date, or `-latest`. */
const DATE_SUFFIX = /^(?:-\d{8}|@\d{8}|-\d{4}-\d{2}-\d{2}|-latest)?$/;

/** Whether `model` (as a provider reports it, any case) is the model `id`, or a dated snapshot of it. */
export function isModel(model: string, id: string): boolean {
  const m = model.toLowerCase();
  return m.startsWith(id) && DATE_SUFFIX.test(m.slice(id.length));
}

/** A URL as text with its password replaced by `***`, so that a log line or a message never carries it. */
export function withoutPassword(url: URL): string {
  if (url.password === '') return url.href;
  const copy = new URL(url.href);
  copy.password = '***';
  return copy.href;
}

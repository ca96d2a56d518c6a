/** A URL as text with its password replaced by `***`, so that a log line or a message never carries it. */
export function withoutPassword(url: URL): string {
  if (url.password === '') return url.href;
  const copy = new URL(url.href);
  copy.password = '***';
  return copy.href;
}

/** A configured URL (a provider's base URL) as written, but with its password replaced by `***`. */
export function shownUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url;
  }
  if (parsed.password === '') return url;
  const shown = withoutPassword(parsed);
  return url.endsWith('/') ? shown : shown.replace(/\/$/, '');
}

/** For tests: the cells of the table rows (header row first) of one `<h2>` section of a page, as HTML. */
export function rowsOf(html: string, section: string): string[][] {
  const part = html.split(`<h2>${section}</h2>`)[1]?.split('<h2>')[0] ?? '';
  return [...part.matchAll(/<tr[^>]*>(.*?)<\/tr>/g)].map((m) => [...m[1]!.matchAll(/<t[dh][^>]*>(.*?)<\/t[dh]>/g)].map((c) => c[1]!));
}

/** A cell's text, without the link around it. */
export function cellText(cell: string | undefined): string {
  return (cell ?? '').replace(/<[^>]+>/g, '');
}

/** A plain text table: a header, a rule, then the rows; `right` columns are right-aligned (numbers). */
export function renderTable(head: string[], rows: string[][], right: readonly number[] = []): string {
  const all = [head, ...rows];
  const widths = head.map((_, c) => Math.max(...all.map((row) => (row[c] ?? '').length)));
  const fmt = (row: string[]) =>
    row
      .map((cell, c) => (right.includes(c) ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd();
  return [fmt(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(fmt)].join('\n') + '\n';
}

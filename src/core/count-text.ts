/** A count for people, with thousands separators: "12,345". */
export function countText(n: number): string {
  return n.toLocaleString('en-US');
}

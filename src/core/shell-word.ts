/** A word for a command line shown to people: as it is when the shell leaves it alone, else single-quoted. */
export function shellWord(w: string): string {
  return /^[A-Za-z0-9_.:=@/-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`;
}

/** What `within` rejects with when time runs out. */
export class TimedOut extends Error {
  override readonly name = 'TimedOut';
}

/** `p`, or a rejection with `message` once `ms` have passed without it settling (`p` itself is left to run). */
export function within<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, fail) => {
    timer = setTimeout(() => fail(new TimedOut(message)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/**
 * Shapley attribution of a function's change: `a` and `b` are the players' values in the two
 * windows (a player may be several numbers that switch together); part i is the average, over
 * every order of switching players from a to b, of the change made when player i switches. The
 * parts sum to value(b) − value(a) (up to float rounding), and a player whose value is the same
 * in both windows gets exactly 0.
 */
export function shapley<T>(a: readonly T[], b: readonly T[], value: (players: readonly T[]) => number): number[] {
  const n = a.length;
  const fact = [1];
  for (let i = 1; i <= n; i++) fact.push(fact[i - 1]! * i);
  const at = (mask: number) => value(a.map((x, i) => (mask & (1 << i) ? b[i]! : x)));
  const values = Array.from({ length: 1 << n }, (_, mask) => at(mask));
  const parts = new Array<number>(n).fill(0);
  for (let mask = 0; mask < 1 << n; mask++) {
    const size = popcount(mask);
    const weight = (fact[size]! * fact[n - size - 1]!) / fact[n]!;
    for (let i = 0; i < n; i++) {
      if (mask & (1 << i)) continue;
      parts[i]! += weight * (values[mask | (1 << i)]! - values[mask]!);
    }
  }
  return parts;
}

function popcount(x: number): number {
  let c = 0;
  for (let v = x; v; v &= v - 1) c++;
  return c;
}

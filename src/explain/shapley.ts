/**
 * Shapley attribution of a product's change: `a` and `b` are the factors in the two
 * windows; part i is the average, over every order of switching factors from a to b, of
 * the change made when factor i switches. The parts sum to Π b − Π a (up to float rounding).
 */
export function shapleyProduct(a: readonly number[], b: readonly number[]): number[] {
  const n = a.length;
  const fact = [1];
  for (let i = 1; i <= n; i++) fact.push(fact[i - 1]! * i);
  const product = (mask: number) => {
    let p = 1;
    for (let i = 0; i < n; i++) p *= mask & (1 << i) ? b[i]! : a[i]!;
    return p;
  };
  const parts = new Array<number>(n).fill(0);
  for (let mask = 0; mask < 1 << n; mask++) {
    const size = popcount(mask);
    const base = product(mask);
    for (let i = 0; i < n; i++) {
      if (mask & (1 << i)) continue;
      const weight = (fact[size]! * fact[n - size - 1]!) / fact[n]!;
      parts[i]! += weight * (product(mask | (1 << i)) - base);
    }
  }
  return parts;
}

function popcount(x: number): number {
  let c = 0;
  for (let v = x; v; v &= v - 1) c++;
  return c;
}

import { formatUsd } from '../core/money.js';

/** Dollars to the cent for people ("$3.30", "-$0.35"); JSON and CSV keep exact amounts. */
export function cents(p: bigint): string {
  const [whole, frac = ''] = formatUsd(p < 0n ? -p : p, 2).split('.');
  return `${p < 0n ? '-' : ''}$${whole}.${frac.padEnd(2, '0')}`;
}

/**
 * Money is an integer count of picodollars (1e-12 USD), held in a bigint.
 *
 * Why picodollars: catalog prices are quoted per million tokens with up to six
 * decimals (for example $0.01875/M), so a per-token rate is only an integer at
 * 1e-12 USD. Why bigint: a month of an organisation's spend overflows 2^53 picos
 * ($9,007), so sums must not use doubles.
 */
export type Picos = bigint;

export const PICOS_PER_USD = 1_000_000_000_000n;

/** The most one ledger row can hold: its money columns are 64-bit integers of picodollars (about $9.2M). */
export const MAX_ROW_PICOS = 2n ** 63n - 1n;

const DECIMAL = /^([+-])?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/**
 * Parses a decimal (string or number) into an exact scaled integer:
 * `scaled('1.25', 6)` is 1_250_000n. Throws if the value has more precision than
 * `scale` decimals allow, because silently rounding a price is a billing bug.
 */
export function scaled(value: string | number, scale: number): bigint {
  const text = typeof value === 'number' ? numberToDecimalText(value) : value.trim();
  const m = DECIMAL.exec(text);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) throw new RangeError(`not a decimal number: ${String(value)}`);
  const sign = m[1] === '-' ? -1n : 1n;
  const intPart = m[2] ?? '';
  const fracPart = m[3] ?? '';
  // The scaled value is digits * 10^exp.
  const exp = intPart.length + Number(m[4] ?? '0') - (intPart + fracPart).length + scale;
  const digits = (intPart + fracPart).replace(/^0+(?=\d)/, '');
  if (exp >= 0) return sign * BigInt(digits || '0') * 10n ** BigInt(exp);
  const cut = digits.length + exp;
  const kept = cut > 0 ? digits.slice(0, cut) : '0';
  const dropped = cut > 0 ? digits.slice(cut) : digits;
  if (/[1-9]/.test(dropped)) {
    throw new RangeError(`${String(value)} has more than ${scale} decimal places`);
  }
  return sign * BigInt(kept);
}

function numberToDecimalText(n: number): string {
  if (!Number.isFinite(n)) throw new RangeError(`not a finite number: ${n}`);
  // String(n) gives the shortest text that round-trips, which is what a human wrote
  // in the catalog (0.075, not 0.07499999999999999722).
  return String(n);
}

/** USD (decimal text or number) to picos, exactly. */
export function usd(value: string | number): Picos {
  return scaled(value, 12);
}

/** A price quoted in USD per million tokens, as picos per token (exact). */
export function perMillionToPicosPerToken(usdPerMillion: string | number): Picos {
  return scaled(usdPerMillion, 6);
}

/**
 * Formats picos as a plain decimal USD string with up to `maxDecimals` places and no
 * trailing zeros ("0.000123", "12", "-0.5"). With the default of 12 it is exact.
 */
export function formatUsd(p: Picos, maxDecimals = 12): string {
  const neg = p < 0n;
  let abs = neg ? -p : p;
  if (maxDecimals < 12) {
    const unit = 10n ** BigInt(12 - maxDecimals);
    abs = roundHalfUp(abs, unit) * unit;
  }
  const whole = abs / PICOS_PER_USD;
  const frac = (abs % PICOS_PER_USD).toString().padStart(12, '0').slice(0, maxDecimals).replace(/0+$/, '');
  return `${neg && abs !== 0n ? '-' : ''}${whole.toString()}${frac ? '.' + frac : ''}`;
}

/** Divides and rounds half away from zero. Both operands are non-negative here. */
export function roundHalfUp(numerator: bigint, denominator: bigint): bigint {
  if (denominator <= 0n) throw new RangeError('denominator must be positive');
  const neg = numerator < 0n;
  const n = neg ? -numerator : numerator;
  const q = (n + denominator / 2n) / denominator;
  return neg ? -q : q;
}

/**
 * Splits `units` among `parts` in proportion to them, by largest remainder: each gets its
 * proportional share rounded down, then the units left go to the largest remainders (the earlier
 * part on a tie), so the shares as shown add up to `units`, as a statement's 100.0% says they do.
 * Undefined where the parts are not all non-negative with a positive sum: no split adds up then.
 */
export function apportion(parts: readonly Picos[], units: number): number[] | undefined {
  const total = sum(parts);
  if (total <= 0n || parts.some((p) => p < 0n)) return undefined;
  const u = BigInt(units);
  const shares = parts.map((p) => ({ whole: (p * u) / total, rest: (p * u) % total }));
  let left = units - Number(shares.reduce((a, s) => a + s.whole, 0n));
  const order = shares.map((_, i) => i).sort((a, b) => (shares[b]!.rest > shares[a]!.rest ? 1 : shares[b]!.rest < shares[a]!.rest ? -1 : a - b));
  const out = shares.map((s) => Number(s.whole));
  for (const i of order) {
    if (left-- <= 0) break;
    out[i] = out[i]! + 1;
  }
  return out;
}

/** Multiplies money by a decimal fraction (for example a 0.05 discount), rounding to a pico. */
export function scaleByFraction(p: Picos, fraction: string | number): Picos {
  const ppt = scaled(fraction, 12); // parts per 10^12
  return roundHalfUp(p * ppt, PICOS_PER_USD);
}

/** Sums money safely (bigint never overflows). */
export function sum(values: Iterable<Picos>): Picos {
  let total = 0n;
  for (const v of values) total += v;
  return total;
}

/**
 * Dollars for people: cents with thousands separators ("$1,234.50"), and, for an amount
 * under half a cent that is not zero, up to six decimals ("$0.0049"), never a bare "$0.00".
 */
export function displayUsd(p: Picos): string {
  const neg = p < 0n;
  const abs = neg ? -p : p;
  const cents = formatUsd(abs, 2);
  const text = cents === '0' && abs > 0n ? formatUsd(abs, 6) : cents;
  const [whole = '0', frac = ''] = text.split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${neg ? '-' : ''}$${grouped}.${frac.padEnd(2, '0')}`;
}

/**
 * A formatter for one column of amounts (or any amounts said together: a budget's spent, limit and
 * projection), all on one scale. When any reaches a dollar, the column is in cents ("$425.00" beside
 * "$0.02"); when all are under a dollar (a trial's first requests), every amount gets the same
 * decimals, enough for two significant digits of the smallest (at most six), so that "$0.0067" and
 * "$0.0019" sit together rather than "$0.01" beside "$0.00185". An amount too small for the column's
 * scale shows as under its last digit ("<$0.01"), never as a zero it is not.
 */
export function usdColumn(values: Iterable<Picos>): (p: Picos) => string {
  const decimals = columnDecimals(values);
  return decimals === undefined ? displayUsd : (p) => fixedUsd(p, decimals);
}

/** The decimals usdColumn shows these amounts with; undefined when all are zero. */
function columnDecimals(values: Iterable<Picos>): number | undefined {
  let max = 0n;
  let min: Picos | undefined;
  for (const v of values) {
    const a = v < 0n ? -v : v;
    if (a > max) max = a;
    if (a > 0n && (min === undefined || a < min)) min = a;
  }
  if (min === undefined) return undefined;
  let decimals = 2;
  while (max < PICOS_PER_USD && decimals < 6 && min * 10n ** BigInt(decimals) < 10n * PICOS_PER_USD) decimals++;
  return decimals;
}

/**
 * The line beneath a table whose rows' amounts add up to its total, when the rows as shown do
 * not: each amount is rounded on its own to the column's decimals (`usdColumn(scale)`), so three
 * lines of $1.004 show $1.00 each over a total of $3.01, and lines under the column's last digit
 * show as "<$0.01". Every figure stays the rounding of its own exact amount (what the exports
 * carry), rather than some nudged a cent to make the sum; the line gives both sums. Undefined
 * when the shown rows add up to the shown total.
 */
export function roundingNote(rows: readonly Picos[], total: Picos, scale: readonly Picos[] = [total, ...rows]): string | undefined {
  const decimals = columnDecimals(scale);
  if (decimals === undefined) return undefined;
  const unit = 10n ** BigInt(12 - decimals);
  const shown = (p: Picos) => (p < 0n ? -roundHalfUp(-p, unit) : roundHalfUp(p, unit)) * unit;
  const sum = rows.reduce((a, p) => a + shown(p), 0n);
  if (sum === shown(total)) return undefined;
  const show = (p: Picos) => fixedUsd(p, decimals);
  return `Each amount is rounded to ${decimals === 2 ? 'the cent' : `${decimals} decimals`} on its own: the lines as shown add up to ${show(sum)}, and the total, their exact sum rounded, is ${show(total)}.`;
}

/** Dollars at exactly `decimals` places, thousands grouped; a nonzero amount that rounds to zero reads "<$0.01" (at two). */
function fixedUsd(p: Picos, decimals: number): string {
  const sign = p < 0n ? '-' : '';
  const abs = p < 0n ? -p : p;
  const text = formatUsd(abs, decimals);
  if (text === '0' && abs > 0n) return `${sign}<$0.${'1'.padStart(decimals, '0')}`;
  const [whole = '0', frac = ''] = text.split('.');
  return `${sign}$${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${frac.padEnd(decimals, '0')}`;
}

/** A change in dollars for people, always signed: "+$12.30", "-$0.40"; `show` formats the amount (a column's `usdColumn`). */
export function signedUsd(p: Picos, show: (p: Picos) => string = displayUsd): string {
  return `${p >= 0n ? '+' : '-'}${show(p < 0n ? -p : p)}`;
}

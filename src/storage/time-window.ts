import type { TimeFilter } from './ports.js';

/**
 * The WHERE terms of a time filter on `column` (since inclusive, until exclusive). Their
 * values are pushed onto `params`; `param` spells the i-th (1-based) placeholder.
 */
export function timeTerms(filter: TimeFilter, params: unknown[], param: (i: number) => string = () => '?', column = 'ts'): string[] {
  const terms: string[] = [];
  if (filter.since !== undefined) terms.push(`${column} >= ${param(params.push(filter.since))}`);
  if (filter.until !== undefined) terms.push(`${column} < ${param(params.push(filter.until))}`);
  return terms;
}

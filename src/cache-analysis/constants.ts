const MINUTE = 60_000;
export const TTL_5M = 5 * MINUTE;
export const TTL_1H = 60 * MINUTE;
/** Request ids a finding names as examples. */
export const EXAMPLES = 3;

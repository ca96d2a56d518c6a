/**
 * The start-up line for hosted providers that have no `api_key`: a Tollgate key cannot reach them,
 * only a client's own provider key can, and with `auth.passthrough: deny` not even that.
 */
export function keylessNotice(keyless: readonly string[], passthrough: 'allow' | 'deny'): string | undefined {
  if (keyless.length === 0) return undefined;
  const names = keyless.join(', ');
  if (passthrough === 'deny') {
    return `Provider keys: none set for ${names}; no request can reach ${keyless.length === 1 ? 'it' : 'them'}: a Tollgate key (tg_…) needs providers[].api_key, and auth.passthrough: deny refuses a client's own provider key.`;
  }
  return `Provider keys: none set for ${names}; clients there must send their own provider key, and a Tollgate key (tg_…) is refused until providers[].api_key is set.`;
}

/** The millisecond whose time part `prefix` holds (see newRequestId). */
let prefixMs = NaN;
let prefix = '';

/**
 * Request ids are UUIDv7 (RFC 9562): time-ordered, so the ledger's primary key is
 * also roughly insertion-ordered, which keeps B-tree inserts cheap. The gateway
 * returns the id in `x-tollgate-request-id` and stores it as the ledger row's `id`.
 */
export function newRequestId(now: number = Date.now()): string {
  // randomUUID draws from a cached entropy pool, which is far cheaper per call than
  // getRandomValues; its time and version fields are replaced to make it a v7. The time
  // part is shared by every id of the same millisecond, so it is built once per millisecond.
  if (now !== prefixMs) {
    const ts = now.toString(16).padStart(12, '0').slice(-12);
    prefix = `${ts.slice(0, 8)}-${ts.slice(8)}-7`;
    prefixMs = now;
  }
  return prefix + crypto.randomUUID().slice(15);
}

/** Starts the key id of a provider key passed through (a fingerprint of it), where a virtual key's id starts `key_`. */
export const FINGERPRINT_PREFIX = 'fp_';

/** A random URL-safe token of `bytes` bytes of entropy (base64url, no padding). */
export function randomToken(bytes: number): string {
  const buf = new Uint8Array(bytes);
  crypto.getRandomValues(buf);
  let bin = '';
  for (const b of buf) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

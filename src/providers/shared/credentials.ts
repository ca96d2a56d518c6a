import type { Credential, CredentialLocation, HeaderBag } from '../types.js';

export interface CredentialRules {
  read: (headers: HeaderBag, query: URLSearchParams) => Credential | undefined;
  write: (headers: HeaderBag, query: URLSearchParams, key: string, where: CredentialLocation | undefined) => void;
}

/**
 * Credential handling for one dialect: `accepted` lists where its clients put the key,
 * in the order they are looked up; `fallback` is where a key goes when the client's
 * place is unknown or not one this dialect accepts.
 */
export function credentialRules(accepted: readonly CredentialLocation[], fallback: CredentialLocation): CredentialRules {
  return {
    read(headers, query) {
      for (const where of accepted) {
        const key = readAt(headers, query, where);
        if (key !== undefined) return { key, where };
      }
      return undefined;
    },
    write(headers, query, key, where) {
      // Clear every accepted place, not just the one used, so a client's gateway key
      // never reaches the upstream by a second route.
      for (const place of accepted) clearAt(headers, query, place);
      writeAt(headers, query, key, where !== undefined && accepted.includes(where) ? where : fallback);
    },
  };
}

function readAt(headers: HeaderBag, query: URLSearchParams, where: CredentialLocation): string | undefined {
  switch (where) {
    case 'authorization':
      return bearerToken(headers.authorization);
    case 'x-api-key':
    case 'x-goog-api-key':
      return nonEmpty(headers[where]);
    case 'query-key':
      return nonEmpty(query.get('key') ?? undefined);
  }
}

function clearAt(headers: HeaderBag, query: URLSearchParams, where: CredentialLocation): void {
  if (where === 'query-key') query.delete('key');
  else delete headers[where];
}

function writeAt(headers: HeaderBag, query: URLSearchParams, key: string, where: CredentialLocation): void {
  switch (where) {
    case 'authorization':
      headers.authorization = `Bearer ${key}`;
      break;
    case 'x-api-key':
    case 'x-goog-api-key':
      headers[where] = key;
      break;
    case 'query-key':
      query.set('key', key);
      break;
  }
}

function bearerToken(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const m = /^\s*bearer\s+(\S+)\s*$/i.exec(value);
  return m?.[1];
}

function nonEmpty(value: string | undefined): string | undefined {
  const v = value?.trim();
  return v === undefined || v === '' ? undefined : v;
}

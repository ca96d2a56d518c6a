import { describe, expect, it } from 'vitest';
import { PostgresOpenError, redacted } from './open-error.js';

describe('PostgresOpenError', () => {
  it('names the server without its password, and the cause', () => {
    const e = new PostgresOpenError('postgres://app:s3cret@db.internal:5432/ledger', new Error('role "app" does not exist'));
    expect(e.message).toBe('cannot open the Postgres ledger at postgres://app:***@db.internal:5432/ledger: role "app" does not exist');
    expect(new PostgresOpenError('postgres://127.0.0.1:5432/ledger', new Error('no PostgreSQL user name specified in startup packet')).message).toBe(
      'cannot open the Postgres ledger at postgres://127.0.0.1:5432/ledger: no PostgreSQL user name specified in startup packet (name the user in the URL: postgres://USER@host:port/database)',
    );
    expect(redacted('not a url')).toBe('the configured URL');
    expect(redacted('postgres://postgres@127.0.0.1:5432/test')).toBe('postgres://postgres@127.0.0.1:5432/test');
  });
});

import { describe, expect, it } from 'vitest';
import { isStorageTrouble } from './storage-trouble.js';

const withCode = (code: string) => Object.assign(new Error(code), { code });

describe('isStorageTrouble', () => {
  it('is storage trouble when SQLite is locked, full or failing its I/O', () => {
    for (const code of ['SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_FULL', 'SQLITE_IOERR_WRITE', 'SQLITE_READONLY']) expect(isStorageTrouble(withCode(code)), code).toBe(true);
  });

  it("is the rows' fault when SQLite refuses their values", () => {
    for (const code of ['SQLITE_CONSTRAINT_NOTNULL', 'SQLITE_MISMATCH', 'SQLITE_TOOBIG', 'SQLITE_ERROR']) expect(isStorageTrouble(withCode(code)), code).toBe(false);
  });

  it('reads the class of a Postgres SQLSTATE', () => {
    // connection failure, deadlock, disk full, admin shutdown, a password changed, the database dropped or renamed
    for (const code of ['08006', '40P01', '53100', '57P01', '28P01', '3D000']) expect(isStorageTrouble(withCode(code)), code).toBe(true);
    // NUL in text, numeric out of range, not-null violation
    for (const code of ['22021', '22003', '23502']) expect(isStorageTrouble(withCode(code)), code).toBe(false);
  });

  it('is storage trouble for a network or file system errno', () => {
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOSPC']) expect(isStorageTrouble(withCode(code)), code).toBe(true);
  });

  it('is storage trouble for the Postgres driver errors that mean no answer in time or a lost connection', () => {
    for (const message of ['timeout exceeded when trying to connect', 'Connection terminated due to connection timeout', 'Connection terminated unexpectedly', 'Query read timeout']) {
      expect(isStorageTrouble(new Error(message)), message).toBe(true);
    }
    expect(isStorageTrouble(new Error('Received unexpected dataRow message from backend.'))).toBe(false);
  });

  it('is not storage trouble without a code (a value the driver could not bind)', () => {
    expect(isStorageTrouble(new RangeError('Loss of precision reading BigInt'))).toBe(false);
    expect(isStorageTrouble('text')).toBe(false);
    expect(isStorageTrouble(undefined)).toBe(false);
  });
});

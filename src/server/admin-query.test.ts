import { describe, expect, it } from 'vitest';
import { auditCursor, auditParams, checkParams, reportParams } from './admin-query.js';

const q = (text: string) => new URLSearchParams(text);

describe('admin query parameters', () => {
  it('refuses a parameter the route does not take, suggesting the near one, and a repeat of one it takes once', () => {
    expect(() => checkParams(q('sinse=1d'), 'GET /x', ['since', 'until'])).toThrow('unknown query parameter "sinse" (did you mean "since"?): GET /x does not take it; it takes since, until');
    expect(() => checkParams(q('a=1'), 'GET /x', [])).toThrow('unknown query parameter "a": GET /x does not take it; it takes none');
    expect(() => checkParams(q('since=1d&since=2d'), 'GET /x', ['since'])).toThrow('query parameter "since" is given 2 times: GET /x takes it once');
    checkParams(q('by=a&by=b&since=1d'), 'GET /x', ['by', 'since'], ['by']);
  });

  it('reads every by of a report, repeated and comma-separated, in order', () => {
    expect(reportParams(q('by=team&by=user,%20model&by='))).toEqual(['team', 'user', 'model']);
    expect(reportParams(q(''))).toEqual([]);
  });

  it('gives the audit cursor back as the place it came from, and refuses one it did not give', () => {
    const place = { ts: 1_700_000_000_123, seq: 42 };
    expect(auditParams(q(`cursor=${auditCursor(place)}`), 0)).toEqual({ since: undefined, until: undefined, before: place, limit: 100 });
    for (const bad of ['x', Buffer.from('1.2.3').toString('base64url'), `${auditCursor(place)}=`]) expect(() => auditParams(q(`cursor=${bad}`), 0)).toThrow(/^cursor ".*" is not one this route gave/);
    expect(() => auditParams(q('limit=1e3'), 0)).toThrow('limit must be a whole number from 1 to 10000');
  });
});

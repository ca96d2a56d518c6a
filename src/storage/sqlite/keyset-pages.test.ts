import { describe, expect, it } from 'vitest';
import { pageQuery } from './keyset-pages.js';

describe('keyset page query', () => {
  it('reads the first page from the window start', () => {
    expect(pageQuery('SELECT id FROM requests', { since: 100, until: 900 }, ["outcome = 'ok'"], undefined, 50)).toEqual({
      sql: "SELECT id FROM requests WHERE ts >= ? AND ts < ? AND outcome = 'ok' ORDER BY ts, id LIMIT 50",
      params: [100, 900],
    });
  });

  it("starts a later page at the last row's time, not at the window start", () => {
    expect(pageQuery('SELECT id FROM requests', { since: 100, until: 900 }, [], { ts: 500n, id: 'r9' }, 50)).toEqual({
      sql: 'SELECT id FROM requests WHERE ts >= ? AND ts < ? AND (ts, id) > (?, ?) ORDER BY ts, id LIMIT 50',
      params: [500, 900, 500n, 'r9'],
    });
    expect(pageQuery('SELECT id FROM requests', {}, [], { ts: 7, id: 'a' }, 10).params).toEqual([7, 7, 'a']);
  });
});

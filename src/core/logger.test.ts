import { describe, expect, it } from 'vitest';
import { type Logger, RepeatedFailure } from './logger.js';

function recording(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const at = (level: string) => (msg: string, fields?: Record<string, unknown>) => void lines.push(`${level} ${msg}${fields && Object.keys(fields).length > 0 ? ' ' + JSON.stringify(fields) : ''}`);
  return { log: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, lines };
}

describe('RepeatedFailure', () => {
  it('logs a failure at most once an interval, with how many it did not log, and its end once', () => {
    const { log, lines } = recording();
    let now = 0;
    const f = new RepeatedFailure(log, 1000, () => now);
    const fail = () => f.failed((l, unlogged) => l.error('write failed', unlogged > 0 ? { unlogged } : {}));
    f.recovered('fine again');
    for (let i = 0; i < 5; i++) fail();
    now = 999;
    fail();
    now = 1000;
    fail();
    fail();
    f.recovered('fine again');
    f.recovered('fine again');
    fail();
    expect(lines).toEqual(['error write failed', 'error write failed {"unlogged":5}', 'info fine again {"unlogged_failures":1}', 'error write failed']);
  });
});

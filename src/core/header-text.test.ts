import { describe, expect, it } from 'vitest';
import { cutText, headerText, headerValue } from './header-text.js';

/** What Node hands over for a header whose bytes are this text's UTF-8. */
const asNodeReadsIt = (text: string) => Buffer.from(text, 'utf8').toString('latin1');

describe('headerText', () => {
  it('reads UTF-8 header bytes as the text the client sent, and leaves ASCII and Latin-1 that is not UTF-8 alone', () => {
    expect(headerText(asNodeReadsIt('ünïcødé-用户-😀'))).toBe('ünïcødé-用户-😀');
    expect(headerText('alice')).toBe('alice');
    // A lone Latin-1 byte (a client that sent Latin-1) is no UTF-8: kept as it came.
    expect(headerText('caf\u00e9')).toBe('caf\u00e9');
  });

  it('cuts to a length without splitting a surrogate pair', () => {
    expect(cutText('ab😀', 3)).toBe('ab');
    expect(cutText('abc', 200)).toBe('abc');
    expect(cutText('x'.repeat(300), 200)).toHaveLength(200);
  });
});

describe('headerValue', () => {
  it('percent-encodes what a header cannot hold as text, and gives the text back through decodeURIComponent', () => {
    expect(headerValue('claude-opus-4-5->claude-sonnet-4-5')).toBe('claude-opus-4-5->claude-sonnet-4-5');
    for (const model of ['big-ü', 'big-模型-😀', 'big-\r\nSet-Cookie: a=1', 'big-%41', 'tab\there', 'del\x7f']) {
      const v = headerValue(model);
      expect(v).toMatch(/^[\x20-\x7e]*$/);
      expect(decodeURIComponent(v)).toBe(model);
    }
    expect(headerValue('big-ü')).toBe('big-%C3%BC');
    // A lone surrogate has no UTF-8: written as U+FFFD rather than failing.
    expect(headerValue('a\ud800')).toBe('a%EF%BF%BD');
  });
});

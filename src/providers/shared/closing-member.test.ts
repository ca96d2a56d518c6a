import { describe, expect, it } from 'vitest';
import { closingMember } from './closing-member.js';

const tail = (s: string) => Buffer.from(s);

describe('closingMember', () => {
  it('reads a member of the object that closes the body, wherever it stands among the closing members', () => {
    const body = tail('AAAA"}],\n  "model": "m-1",\n  "usage": {"prompt_tokens": 3, "details": {"usage": 9}}\n}\n');
    expect(closingMember(body, 'usage')).toEqual({ prompt_tokens: 3, details: { usage: 9 } });
    expect(closingMember(body, 'model')).toBe('m-1');
  });

  it('passes over the key nested deeper, or used as a string value', () => {
    const body = tail('{"args": {"usage": 1}}}], "note": "usage", "usage": {"n": 2}}');
    expect(closingMember(body, 'usage')).toEqual({ n: 2 });
    expect(closingMember(tail('{"args": {"usage": 1}}}], "note": "usage"}'), 'usage')).toBeUndefined();
    expect(closingMember(tail('"x": {"usage": 1}}'), 'usage')).toBeUndefined();
  });

  it('reads nothing from a body cut short, or followed by more than whitespace', () => {
    expect(closingMember(tail('"usage": {"n": 2}, "model": "m'), 'usage')).toBeUndefined();
    expect(closingMember(tail('"usage": {"n": 2}'), 'usage')).toBeUndefined();
    expect(closingMember(tail('"usage": {"n": 2}} x'), 'usage')).toBeUndefined();
    expect(closingMember(tail('"usage": {"n": 2}}\r\n'), 'usage')).toEqual({ n: 2 });
  });
});

import { describe, expect, it } from 'vitest';
import { findTopLevelMember } from './json-member.js';

function cut(json: string, key = 'usage'): string | undefined {
  const buf = Buffer.from(json);
  const m = findTopLevelMember(buf, 0, key);
  return m === undefined ? undefined : Buffer.concat([buf.subarray(0, m.from), buf.subarray(m.to)]).toString();
}

describe('findTopLevelMember', () => {
  it('removes the member with its adjacent comma wherever it sits', () => {
    expect(cut('{"a":1,"usage":null,"b":2}')).toBe('{"a":1,"b":2}');
    expect(cut('{"a":1,"usage":null}')).toBe('{"a":1}');
    expect(cut('{"usage":null,"a":1}')).toBe('{"a":1}');
    expect(cut('{"usage": null, "a": 1}')).toBe('{"a": 1}');
    expect(cut('{"a": 1, "usage": null}')).toBe('{"a": 1}');
    expect(cut('{ "usage" : null }')).toBe('{  }');
  });

  it('reports where the value is', () => {
    const buf = Buffer.from('{"a":[1,{"b":"}"}],"usage":{"x":[]}}');
    const m = findTopLevelMember(buf, 0, 'usage')!;
    expect(buf.toString('utf8', m.valueStart, m.valueEnd)).toBe('{"x":[]}');
  });

  it('skips nested members and look-alikes inside strings', () => {
    expect(cut('{"choices":[{"usage":null}],"note":"\\"usage\\":null \\\\","usage":null}')).toBe(
      '{"choices":[{"usage":null}],"note":"\\"usage\\":null \\\\"}',
    );
    expect(cut('{"choices":[{"usage":null}]}')).toBeUndefined();
    expect(cut('{"x":"usage"}')).toBeUndefined();
  });

  it('handles multi-byte text', () => {
    expect(cut('{"c":"Météo 🌦 \\u00e9","usage":null}')).toBe('{"c":"Météo 🌦 \\u00e9"}');
  });

  it('gives up on malformed or truncated JSON', () => {
    for (const bad of ['', '[]', '{"a":1', '{"a":"x', '{"a" 1,"usage":null}', '{"a":1 "usage":null}', '{"usage":']) {
      expect(cut(bad)).toBeUndefined();
    }
  });
});

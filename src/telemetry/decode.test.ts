import { describe, expect, it } from 'vitest';
import { decodeRequest } from './decode.js';

/** An attribute value nested `depth` arrays deep, as OTLP/JSON writes it. */
function nested(depth: number): string {
  let v = '{"stringValue":"x"}';
  for (let i = 0; i < depth; i++) v = `{"arrayValue":{"values":[${v}]}}`;
  return v;
}

const logs = (value: string) =>
  Buffer.from(
    `{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":"1796300000000000000","attributes":[` +
      `{"key":"event.name","value":{"stringValue":"claude_code.api_request"}},{"key":"deep","value":${value}},{"key":"model","value":{"stringValue":"claude-x"}}]}]}]}]}`,
  );

describe('decodeRequest', () => {
  it('reads an int or double that is not a number as no value, not as 0', () => {
    const d = decodeRequest('logs', 'json', logs('{"intValue":"abc"}'));
    expect(d.items[0]!.attrs.deep).toBeNull();
    expect(decodeRequest('logs', 'json', logs('{"intValue":""}')).items[0]!.attrs.deep).toBeNull();
    expect(decodeRequest('logs', 'json', logs('{"doubleValue":"NaN"}')).items[0]!.attrs.deep).toBeNull();
    expect(decodeRequest('logs', 'json', logs('{"intValue":"42"}')).items[0]!.attrs.deep).toBe(42);
    expect(decodeRequest('logs', 'json', logs('{"doubleValue":0.5}')).items[0]!.attrs.deep).toBe(0.5);
  });

  it('reads nested attribute values', () => {
    const d = decodeRequest('logs', 'json', logs(nested(2)));
    expect(d.items[0]!.attrs.deep).toEqual([['x']]);
  });

  it('reads a value nested past the stack as far as 32 levels, and the rest of the record as usual', () => {
    const d = decodeRequest('logs', 'json', logs(nested(20_000)));
    expect(d.items[0]!.attrs.model).toBe('claude-x');
    let v = d.items[0]!.attrs.deep;
    let levels = 0;
    while (Array.isArray(v)) [v, levels] = [v[0], levels + 1];
    expect(levels).toBe(32);
    expect(v).toBeNull();
  });
});

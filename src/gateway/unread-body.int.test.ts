import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../../test/support/harness.js';

let h: Harness;
// Short, so that a gateway that waits for the body answers its 408 soon rather than the 401.
beforeAll(async () => {
  h = await startHarness({ requestTimeoutMs: 3000 });
});
afterAll(() => h.close());

/** Sends the head of a request declaring a 30 MB body, and none of the body: the answer, as text. */
function headOnly(headers: string): Promise<string> {
  const url = new URL(h.url);
  return new Promise((resolve, reject) => {
    const s = connect(Number(url.port), url.hostname, () => s.write(`POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 30000000\r\n${headers}\r\n`));
    let text = '';
    s.on('data', (d: Buffer) => {
      text += d.toString();
      if (text.includes('\r\n\r\n') && text.includes('}')) {
        s.destroy();
        resolve(text);
      }
    });
    s.on('error', reject);
    s.on('close', () => resolve(text));
  });
}

describe('a request without a valid key', () => {
  it('is refused from its headers, before its body is read: nobody without a key makes the gateway hold a body', async () => {
    for (const [headers, code] of [
      ['', 'missing_api_key'],
      ['authorization: Bearer tg_not_a_key_of_this_gateway_at_all_0000000000\r\n', 'invalid_api_key'],
    ] as const) {
      const answer = await headOnly(headers);
      expect(answer).toMatch(/^HTTP\/1\.1 401 /);
      expect(answer).toContain(code);
      const id = /x-tollgate-request-id: (\S+)/.exec(answer)![1]!;
      expect(await h.row(id)).toMatchObject({ status: 401, outcome: 'rejected', errorType: code, keyId: null });
    }
    expect(h.fake.requests).toHaveLength(0);
  });
});

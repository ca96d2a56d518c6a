import { expect } from 'vitest';
import type { Harness } from './harness.js';

/** The row of a call that costs nothing (a model list, a token count, a lookup). */
export const FREE_ROW = { costPicos: 0n, unpriced: false, usageSource: 'none', inputTokens: 0, outputTokens: 0, outcome: 'ok', status: 200 };

async function bytesOf(res: Response): Promise<Buffer> {
  return Buffer.from(await res.arrayBuffer());
}

/** The single request the fake got, after checking the client received exactly its bytes. */
export async function sameBytes(h: Harness, res: Response) {
  const got = await bytesOf(res);
  const [up] = await h.fake.waitForRequests(1);
  expect(got.equals(up!.sent)).toBe(true);
  return up!;
}

import { describe, expect, it } from 'vitest';
import { newFacts } from '../metering/build-row.js';
import { requestDigest } from './request-digest.js';

/** Valid JSON nested deeper than the stack allows a recursive walk (V8 parses it all the same). */
function deeplyNested(depth: number): unknown {
  let c = '"x"';
  for (let i = 0; i < depth; i++) c = `[${c}]`;
  return JSON.parse(`{"model":"m","messages":[{"role":"user","content":${c}}]}`);
}

describe('requestDigest', () => {
  it('hashes the last turn and estimates the input of an ordinary body', () => {
    const facts = newFacts('r1', 0, 'openai.chat');
    const d = requestDigest({ model: 'm', messages: [{ role: 'user', content: 'hello there' }] }, facts);
    d.run();
    expect(facts.lastTurnHash).toMatch(/\w+/);
    expect(d.inputEstimate()).toBeGreaterThan(0);
  });

  it('leaves the last-turn hash and estimate unknown, without throwing, for a body nested past the stack', () => {
    const facts = newFacts('r2', 0, 'openai.chat');
    const d = requestDigest(deeplyNested(20_000), facts);
    expect(() => d.run()).not.toThrow();
    expect(facts.lastTurnHash).toBeNull();
    expect(() => d.inputEstimate()).not.toThrow();
  });
});

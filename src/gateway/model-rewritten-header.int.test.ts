import { afterEach, describe, expect, it } from 'vitest';
import { parseScope } from '../policy/scope.js';
import type { RoutingRule } from '../routing/rules/rule.js';
import { type Harness, startHarness } from '../../test/support/harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

// A model name is the client's to choose: any character JSON can carry, which a header cannot.
const ODD = ['big-ü', 'big-模型', 'big-\r\nset-cookie: a=1'];

const chat = (model: string) =>
  fetch(`${h!.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${h!.key.key}`, 'content-type': 'application/json' }, body: JSON.stringify({ model, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }) });

async function expectRewritten(): Promise<void> {
  for (const model of ODD) {
    const res = await chat(model);
    await res.text();
    expect(res.status, model).toBe(200);
    const header = res.headers.get('x-tollgate-model-rewritten')!;
    expect(header).toMatch(/^[\x20-\x7e]+$/);
    expect(decodeURIComponent(header)).toBe(`${model}->gpt-4o-mini`);
  }
  expect(h!.fake.requests.map((r) => (r.json as { model: string }).model)).toEqual(ODD.map(() => 'gpt-4o-mini'));
  expect((await h!.rows()).map((r) => [r.modelRequested, r.outcome])).toEqual(ODD.map((m) => [m, 'ok']));
}

describe('x-tollgate-model-rewritten names a model no header can hold as text', () => {
  it('percent-encoded, after a model policy rewrote it (it was a 500)', async () => {
    h = await startHarness({
      policy: { rules: { budgets: [], rateLimits: [], modelPolicies: [{ id: 'p', name: null, scope: parseScope('org'), allow: null, deny: [], rewrites: [{ from: 'big-*', to: 'gpt-4o-mini' }], allowKeep: true, source: 'config', createdAt: 0 }] } },
    });
    await expectRewritten();
  });

  it('percent-encoded, after an enforced routing rule moved it', async () => {
    const rules: RoutingRule[] = [{ id: 'big-to-mini', mode: 'enforce', match: { model: ['big-*'] }, action: { model: 'gpt-4o-mini' } }];
    h = await startHarness({ routingRules: rules });
    await expectRewritten();
  });
});

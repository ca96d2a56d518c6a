import { describe, expect, it } from 'vitest';
import { codexProvider, runCodexOk } from '../support/agent-run.js';
import { useHarness } from '../support/harness.js';

const h = useHarness();

const sse = (type: string, data: Record<string, unknown>) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;

// The real Codex CLI spawning a sub-agent (its multi_agent_v1 namespace's spawn_agent tool): the
// sub-agent's requests go under its parent's session, its own thread named in the turn metadata.
describe('a Codex CLI sub-agent through Tollgate', () => {
  it('tags its requests agent_id and parent_agent_id, its parent’s none, all in one session', async () => {
    const call = { type: 'function_call', id: 'fc_1', call_id: 'call_1', name: 'spawn_agent', namespace: 'multi_agent_v1', arguments: JSON.stringify({ message: 'check the readme' }), status: 'completed' };
    const response = (status: string, output: unknown[], usage: unknown) => ({ id: 'resp_spawn1', object: 'response', created_at: 1, status, model: 'gpt-5.1-codex-max', output, usage, service_tier: 'default' });
    const usage = { input_tokens: 100, input_tokens_details: { cached_tokens: 0 }, output_tokens: 10, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 110 };
    h.fake.script({
      match: '/v1/responses',
      events: [
        sse('response.created', { sequence_number: 0, response: response('in_progress', [], null) }),
        sse('response.output_item.added', { sequence_number: 1, output_index: 0, item: { ...call, status: 'in_progress', arguments: '' } }),
        sse('response.output_item.done', { sequence_number: 2, output_index: 0, item: call }),
        sse('response.completed', { sequence_number: 3, response: response('completed', [call], usage) }),
      ],
    });
    h.fake.setDefault({ text: 'Done.', usage: { input: 300, output: 40 } });
    await runCodexOk({ dir: h.dir, name: 'codex-home-agents', config: ['model = "gpt-5.1-codex-max"', ...codexProvider(h.url)], key: h.key.key, prompt: 'check the readme with a sub-agent' });

    const calls = h.fake.requests.filter((r) => r.path === '/v1/responses');
    const session = calls[0]!.headers['session-id']!;
    const threads = calls.map((r) => r.headers['thread-id']!);
    const spawned = threads.filter((t) => t !== session);
    expect(spawned.length).toBeGreaterThan(0);
    const rows = (await h.rows()).filter((r) => r.api === 'openai.responses');
    expect(rows).toHaveLength(calls.length);
    const seen = rows.map((r) => ({ session: r.sessionId, agent: r.tags.agent_id ?? null, parent: r.tags.parent_agent_id ?? null }));
    const expected = threads.map((t) => (t === session ? { session, agent: null, parent: null } : { session, agent: t, parent: session }));
    expect(seen.sort((a, b) => String(a.agent).localeCompare(String(b.agent)))).toEqual(expected.sort((a, b) => String(a.agent).localeCompare(String(b.agent))));
  });
});

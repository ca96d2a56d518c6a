import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AGENT_BIN, runAgentOk } from '../support/agent-run.js';
import { useHarness } from '../support/harness.js';
import { translatingProviders } from '../support/translating-providers.js';

const h = useHarness({ providers: translatingProviders });

describe('the real Claude Code CLI on a local model through a translated route', () => {
  it('runs a tool-use turn end to end: the tool call, the file’s content sent back, the answer', async () => {
    const home = join(h.dir, 'claude-home-translated');
    mkdirSync(home, { recursive: true });
    const file = join(h.dir, 'note.txt');
    writeFileSync(file, 'the secret word is tangerine\n');
    h.fake.script(
      { match: '/v1/chat/completions', toolCalls: [{ name: 'Read', arguments: { file_path: file } }], usage: { input: 3000, output: 20 } },
      { match: '/v1/chat/completions', text: 'The word is tangerine.', usage: { input: 3100, cacheRead: 2900, output: 8 } },
    );
    const stdout = await runClaude(['-p', `read ${file}`, '--output-format', 'json', '--allowedTools', 'Read'], {
      PATH: process.env.PATH,
      HOME: home,
      ANTHROPIC_BASE_URL: h.url,
      ANTHROPIC_API_KEY: h.key.key,
      ANTHROPIC_MODEL: 'qwen3-coder',
      ANTHROPIC_SMALL_FAST_MODEL: 'qwen3-coder',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      DISABLE_TELEMETRY: '1',
      DISABLE_AUTOUPDATER: '1',
    });
    const result = JSON.parse(stdout) as { is_error: boolean; result: string; session_id: string };
    expect(result.is_error).toBe(false);
    expect(result.result).toContain('The word is tangerine.');

    const chats = h.fake.requests.filter((r) => r.path === '/v1/chat/completions');
    expect(chats).toHaveLength(2);
    const second = chats[1]!.json as { messages: { role: string; content: unknown; tool_calls?: unknown[] }[] };
    const tool = second.messages.find((m) => m.role === 'tool');
    expect(String(tool?.content)).toContain('tangerine');
    expect(h.fake.requests.filter((r) => r.path === '/v1/messages')).toHaveLength(0);
    const rows = (await h.rows()).filter((r) => r.api === 'anthropic.messages');
    expect(rows).toHaveLength(2);
    for (const row of rows) expect(row).toMatchObject({ provider: 'local-qwen', client: 'claude-code', sessionId: result.session_id, outcome: 'ok', usageSource: 'final', tags: { translated: 'openai' } });
    expect(rows.map((r) => r.inputTokens).sort()).toEqual([3000, 6000]);
  });
});

async function runClaude(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return (await runAgentOk(join(AGENT_BIN, 'claude'), args, { env, cwd: h.dir, timeout: 90_000 })).stdout;
}

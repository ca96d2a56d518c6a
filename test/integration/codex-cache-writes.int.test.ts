import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run as tollgate } from '../../src/cli/program.js';
import { createPricer } from '../../src/pricing/index.js';
import { codexProvider, runCodexOk } from '../support/agent-run.js';
import { useHarness } from '../support/harness.js';

const h = useHarness({ price: createPricer() });

// Codex 0.169 reports GPT-5.6's cache writes in its rollouts (`cache_write_input_tokens`), which
// bill at 1.25x input: a rollout imported is priced as the gateway priced the same call.
describe('a Codex CLI rollout with cache writes, imported', () => {
  it('has the cache writes and the cost of the gateway’s row for the same call', async () => {
    h.fake.setDefault({ text: 'Done.', usage: { input: 300, cacheRead: 1024, cacheWrite5m: 2500, output: 40, reasoning: 16 } });
    const { home: codexHome } = await runCodexOk({ dir: h.dir, name: 'codex-home-writes', config: ['model = "gpt-5.6-sol"', ...codexProvider(h.url)], key: h.key.key });
    const [gateway] = (await h.rows()).filter((r) => r.api === 'openai.responses');
    expect(gateway).toMatchObject({ inputTokens: 3824, cacheReadTokens: 1024, cacheWriteTokens: 2500 });

    // Into a ledger of its own, where no gateway row stands in for it.
    const db = join(h.dir, 'imported.db');
    const quiet = { out: () => undefined, err: () => undefined };
    expect(await tollgate(['import', '--source', 'codex', '--dir', codexHome, '--db', db, '--state', join(h.dir, 'writes-state.json')], quiet)).toBe(0);
    const file = join(h.dir, 'imported.jsonl');
    expect(await tollgate(['export', '--db', db, '--since', '2000-01-01', '-o', file], quiet)).toBe(0);
    const rows = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows.map((r) => ({ input: r.input_tokens, read: r.cache_read_tokens, writes: r.cache_write_tokens, cost: r.cost_usd }))).toEqual([{ input: 3824, read: 1024, writes: 2500, cost: Number(gateway!.costPicos) / 1e12 }]);
  });
});

// `npx tsx bench/metrics.ts`: CPU per ledger row that counting it for /metrics costs, against the same loop
// without it, alternating; rows are observed four per event-loop turn, as a busy gateway records them. Uses dist/.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { sampleRow } from '../src/storage/testing/rows.js';
const { GatewayMetrics } = (await import(pathToFileURL(join(import.meta.dirname, '..', 'dist', 'metrics', 'gateway-metrics.js')).href)) as typeof import('../src/metrics/gateway-metrics.js');
const m = new GatewayMetrics({ ledgerPending: () => 0, inFlight: () => 0 });
const models = ['gpt-5', 'gpt-5-mini', 'claude-sonnet-4-5', 'gemini-2.5-flash'];
const rows = Array.from({ length: 40_000 }, (_, i) => sampleRow({ model: models[i % 4], team: `t${i % 25}`, latencyMs: i % 900, stream: i % 2 === 0, ttftMs: i % 2 === 0 ? 30 : null }));
const sink: unknown[] = [];
const variants = { metrics: (r: (typeof rows)[number]) => m.observe(r), none: (r: (typeof rows)[number]) => void sink.push(r) };
const res: Record<string, number[]> = { metrics: [], none: [] };
for (let round = 0; round < 9; round++) {
  for (const [name, f] of Object.entries(variants)) {
    const t0 = process.cpuUsage();
    for (let i = 0; i < rows.length; i++) {
      f(rows[i]!);
      if (i % 4 === 3) await new Promise((r) => setImmediate(r));
    }
    sink.length = 0;
    const d = process.cpuUsage(t0);
    res[name]!.push((d.user + d.system) / rows.length);
  }
}
for (const [k, v] of Object.entries(res)) console.log(k, 'median µs/row', v.sort((a, b) => a - b)[4]!.toFixed(2));

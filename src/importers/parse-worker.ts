import { type MessagePort, workerData } from 'node:worker_threads';
import { claudeCodeAdapter, parseClaudeLineAhead } from './claude-code/adapter.js';
import { scanLines } from './lines.js';
import type { AheadJob, AheadMessage } from './parse-ahead.js';

// The worker of parse-ahead.ts: reads and parses its files in order, posting each, then
// bumping the shared counter the main thread waits on.
const { jobs, signal, port } = workerData as { jobs: AheadJob[]; signal: Int32Array; port: MessagePort };
const PARSERS: Partial<Record<AheadJob['source'], { marker: Buffer | undefined; parse: (text: string) => unknown }>> = {
  'claude-code': { marker: claudeCodeAdapter.marker, parse: parseClaudeLineAhead },
};

for (const job of jobs) {
  let msg: AheadMessage;
  try {
    const adapter = PARSERS[job.source];
    if (!adapter) throw new Error(`no parser for ${job.source}`);
    const parse = adapter.parse;
    const items: unknown[] = [];
    const result = scanLines(
      job.path,
      job.from,
      (buf, start, end) => {
        // A last line without its newline is parsed too: `parse` drops it unless it is whole JSON, as readNew does.
        const item = parse(buf.toString('utf8', start, end));
        if (item !== undefined) items.push(item);
      },
      adapter.marker,
    );
    // As JSON: parsing it is cheaper for the main thread than a structured clone (measured).
    msg = { path: job.path, from: job.from, items: JSON.stringify(items), ...result };
  } catch (err) {
    msg = { path: job.path, error: String(err) };
  }
  port.postMessage(msg);
  Atomics.add(signal, 0, 1);
  Atomics.notify(signal, 0);
}
port.close();

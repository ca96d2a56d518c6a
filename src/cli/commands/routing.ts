import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { APIS, type Api, dialectOf } from '../../core/api.js';
import { estimateInputTokens } from '../../metering/estimate.js';
import { adapterFor } from '../../providers/index.js';
import { hasImages, hasTools, reasoningEffort, systemHash, systemText } from '../../routing/rules/features.js';
import { type Io, UsageError } from '../output.js';

/** Helpers for writing routing rules: the system prompt hash, and the features a rule sees in a request. */
export function routingCommand(program: Command, io: Io): void {
  const routing = program.command('routing').description('Helpers for routing rules (docs/routing-rules.md)');
  routing
    .command('hash-system')
    .description("Print the system_hash of a system prompt: the first 16 hex characters of the SHA-256 of the file's exact bytes")
    .argument('<file>', 'a file holding the system prompt text, exactly as sent (- for standard input)')
    .action((file: string) => {
      io.out(systemHash(read(file, 'hash-system')) + '\n');
    });
  routing
    .command('features')
    .description('Print what routing rules see in a request body: estimated input tokens, tools, images, max tokens, reasoning, system_hash')
    .argument('<file>', 'a JSON request body (- for standard input)')
    .requiredOption('--api <api>', `the API the body is for: ${APIS.filter((a) => a !== 'openai.models').join(', ')}`)
    .action((file: string, flags: { api: string }) => {
      if (!(APIS as readonly string[]).includes(flags.api)) throw new UsageError(`routing features: --api must be one of ${APIS.join(', ')} (got "${flags.api}")`);
      const api = flags.api as Api;
      let body: unknown;
      try {
        body = JSON.parse(read(file, 'features'));
      } catch (err) {
        throw new UsageError(`routing features: ${file} is not JSON (${(err as Error).message})`);
      }
      const text = systemText(api, body);
      const out = {
        input_tokens: estimateInputTokens(body),
        tools: hasTools(api, body),
        images: hasImages(api, body),
        max_tokens: maxTokens(api, body) ?? null,
        reasoning: reasoningEffort(api, body) ?? 'unset',
        system_hash: text === undefined ? 'none' : systemHash(text),
      };
      io.out(JSON.stringify(out, null, 2) + '\n');
    });
}

function read(file: string, command: string): string {
  try {
    return readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    throw new UsageError(`routing ${command}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
}

/** The output cap, read by the same provider adapter the gateway uses. */
function maxTokens(api: Api, body: unknown): number | undefined {
  const dialect = dialectOf(api);
  try {
    return adapterFor(dialect).inspectRequest({ api, dialect, method: 'POST' }, body).maxOutputTokens;
  } catch (err) {
    throw new UsageError(`routing features: ${(err as Error).message}`);
  }
}

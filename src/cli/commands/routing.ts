import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { APIS, type Api, dialectOf } from '../../core/api.js';
import { GatewayError } from '../../core/errors.js';
import { estimateInputTokens } from '../../metering/estimate.js';
import { BODYLESS_APIS, adapterFor } from '../../providers/index.js';
import { hasImages, hasTools, reasoningEffort, systemHash, systemText } from '../../routing/rules/features.js';
import { adminToken, callAdmin, defaultUrl } from '../admin-client.js';
import { loadCliConfig } from '../context.js';
import { type Io, UsageError } from '../output.js';
import { type RoutingStatusJson, renderRoutingStatus } from './routing-status.js';

/** The running gateway's routing status, and helpers for writing routing rules: the system prompt hash, and the features a rule sees in a request. */
export function routingCommand(program: Command, io: Io): void {
  const routing = program.command('routing').description('Routing status, and helpers for routing rules (docs/routing.md, docs/routing-rules.md)');
  routing
    .command('status')
    .description("Each route's deployments in the running gateway: breaker, cooldown, ejection, recent failures, rate-limit room (needs TOLLGATE_ADMIN_TOKEN)")
    .option('--url <url>', 'the gateway (default from the config: http://127.0.0.1:8790, https with server.tls)')
    .option('--config <file>', 'YAML config file, for the default --url')
    .option('--json', 'print the JSON the gateway returned')
    .action(async (flags: { url?: string; config?: string; json?: boolean }) => {
      // Health and rate-limit state live in the serve process, so this asks it.
      const token = adminToken();
      const url = flags.url ?? defaultUrl(loadCliConfig(flags));
      const s = (await callAdmin({ url, path: '/admin/v1/routing/status', bearer: token })) as RoutingStatusJson;
      io.out(flags.json ? JSON.stringify(s, null, 2) + '\n' : renderRoutingStatus(s));
    });
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
    .requiredOption('--api <api>', `the API the body is for: ${APIS.filter((a) => !BODYLESS_APIS.has(a)).join(', ')}`)
    .action((file: string, flags: { api: string }) => {
      if (!(APIS as readonly string[]).includes(flags.api)) throw new UsageError(`routing features: --api must be one of ${APIS.join(', ')} (got "${flags.api}")`);
      const api = flags.api as Api;
      const raw = read(file, 'features');
      let body: unknown;
      try {
        body = JSON.parse(raw);
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
    // The adapter's refusal of a body the gateway would refuse too; anything else is a bug.
    if (err instanceof GatewayError) throw new UsageError(`routing features: ${err.message}`);
    throw err;
  }
}

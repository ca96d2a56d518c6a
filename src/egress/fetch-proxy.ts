import { createRequire } from 'node:module';
import { proxySettingsFromEnv } from './proxy-settings.js';

let installed = false;

/**
 * Sends this process's `fetch` calls (alert webhooks, `import --push`, the CLI's admin calls)
 * the way the environment's proxy variables say, as the gateway's own upstream requests go:
 * Node 20's fetch follows no proxy variable by itself. Without a proxy variable it loads nothing.
 */
export async function fetchThroughProxy(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  if (installed) return;
  const settings = proxySettingsFromEnv(env);
  if (!settings) return;
  const { EgressDispatcher } = await import('./dispatcher.js');
  // Node's fetch takes the dispatcher from the global slot undici's setGlobalDispatcher fills.
  const { setGlobalDispatcher } = createRequire(import.meta.url)('undici/lib/global.js') as typeof import('undici');
  setGlobalDispatcher(new EgressDispatcher(settings));
  installed = true;
}

import type { Dialect } from '../core/api.js';
import type { Config } from './config.js';

/** Where the gateway sends requests: a provider, or a route deployment (named by its id). */
export interface ConfiguredUpstream {
  kind: 'provider' | 'deployment';
  name: string;
  dialect: Dialect;
  baseUrl: string;
  apiKey: string | undefined;
  headers: Readonly<Record<string, string>>;
}

/** Every provider and route deployment in the config, for what asks of each where it goes (the proxy line, `tollgate check`). */
export function configuredUpstreams(config: Config): ConfiguredUpstream[] {
  return [
    ...config.providers.map((p) => ({ ...p, kind: 'provider' as const })),
    ...config.routing.routes.flatMap((r) => r.deployments.map((d) => ({ ...d, kind: 'deployment' as const, name: d.id }))),
  ];
}

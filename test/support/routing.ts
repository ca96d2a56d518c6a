import type { RoutingOptions } from '../../src/app.js';
import type { ProviderConfig } from '../../src/config/config.js';
import { routingConfig } from '../../src/config/routing.js';
import type { ConfigFile } from '../../src/config/schema.js';
import type { UpstreamProvider } from '../../src/gateway/select-provider.js';

/**
 * Routing options from the config file's own shape (`routes:` and `routing:` as written in
 * YAML), so that tests exercise the same normalisation as `tollgate serve`.
 */
export function routingFrom(file: Pick<ConfigFile, 'routes' | 'routing'>, providers: readonly UpstreamProvider[], extra: Partial<RoutingOptions> = {}): RoutingOptions {
  const configs: ProviderConfig[] = providers.map((p) => ({ name: p.name, dialect: p.dialect, baseUrl: p.baseUrl, apiKey: p.apiKey, models: p.models ? [...p.models] : undefined, headers: { ...p.headers }, catalog: p.catalog }));
  return { ...routingConfig(file, configs, 10_000), ...extra };
}

export { type AlertsConfig, type Config, DEFAULTS, DEFAULT_PROVIDERS, type PriceOverride, type ProviderConfig, type WebhookConfig } from './config.js';
export { ConfigError, type ConfigIssue } from './errors.js';
export { type LoadOptions, loadConfig } from './load.js';
export { configJsonSchema } from './json-schema.js';
export { type ConfiguredUpstream, configuredUpstreams } from './upstreams.js';

export { type Config, DEFAULTS, DEFAULT_PROVIDERS, type PriceOverride, type ProviderConfig } from './config.js';
export { ConfigError, type ConfigIssue } from './errors.js';
export { type LoadOptions, loadConfig } from './load.js';
export { configJsonSchema } from './json-schema.js';

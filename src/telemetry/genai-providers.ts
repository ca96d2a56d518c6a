// The provider names OpenTelemetry's GenAI conventions use, as Tollgate knows them. Ledger rows
// from spans keep the name as their provider; pricing, FOCUS and the rate book read the catalog
// id from here.

export interface ProviderInfo {
  catalog: string | undefined;
  dialect: 'openai' | 'anthropic' | 'gemini';
}

/** `gen_ai.provider.name` (or the deprecated `gen_ai.system`) → the pricing catalog's provider and the closest API dialect. */
const PROVIDERS: Record<string, ProviderInfo> = {
  anthropic: { catalog: 'anthropic', dialect: 'anthropic' },
  openai: { catalog: 'openai', dialect: 'openai' },
  'azure.ai.openai': { catalog: 'azure', dialect: 'openai' },
  'az.ai.openai': { catalog: 'azure', dialect: 'openai' },
  'azure.ai.inference': { catalog: 'azure', dialect: 'openai' },
  'gcp.gemini': { catalog: 'google', dialect: 'gemini' },
  'gcp.vertex_ai': { catalog: 'google', dialect: 'gemini' },
  'gcp.gen_ai': { catalog: 'google', dialect: 'gemini' },
  gemini: { catalog: 'google', dialect: 'gemini' },
  vertex_ai: { catalog: 'google', dialect: 'gemini' },
  'aws.bedrock': { catalog: 'aws', dialect: 'anthropic' },
  mistral_ai: { catalog: 'mistral', dialect: 'openai' },
  deepseek: { catalog: 'deepseek', dialect: 'openai' },
  groq: { catalog: 'groq', dialect: 'openai' },
  x_ai: { catalog: 'x-ai', dialect: 'openai' },
  cohere: { catalog: 'cohere', dialect: 'openai' },
};

/** What a span's `gen_ai.provider.name` is: a name not listed is taken as a catalog id, spoken as OpenAI. */
export function genAiProvider(name: string): ProviderInfo {
  return PROVIDERS[name] ?? { catalog: name || undefined, dialect: 'openai' };
}

/** Provider names as ledger rows from spans hold them → the price catalog's provider id. */
export const GENAI_CATALOGS: Readonly<Record<string, string | undefined>> = Object.fromEntries(Object.entries(PROVIDERS).map(([name, p]) => [name, p.catalog]));

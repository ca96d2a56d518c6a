/**
 * Who is who in a FOCUS row (FOCUS 1.2's origination of cost data): the provider that sells the
 * call and issues the invoice is the host the request went to (AWS for Bedrock, Google for Vertex
 * AI, Microsoft for Azure OpenAI), while the publisher is the maker of the model (Anthropic for
 * Claude on Bedrock or Vertex, OpenAI for GPT on Azure), read from the model's name.
 */

/** A host, by catalog id: the company, its own service and, where it sells other makers' models, the platform they are sold on. */
interface Host {
  name: string;
  service: string;
  platform?: string;
  /** Makers whose models the host sells under a service of their own (Azure OpenAI). */
  sells?: Readonly<Record<string, string>>;
}

const HOSTS: Readonly<Record<string, Host>> = {
  openai: { name: 'OpenAI', service: 'OpenAI API' },
  anthropic: { name: 'Anthropic', service: 'Claude API' },
  google: { name: 'Google', service: 'Gemini API', platform: 'Vertex AI' },
  aws: { name: 'AWS', service: 'Amazon Bedrock' },
  azure: { name: 'Microsoft', service: 'Azure OpenAI', platform: 'Microsoft Foundry', sells: { OpenAI: 'Azure OpenAI' } },
  mistral: { name: 'Mistral AI', service: 'Mistral API' },
  deepseek: { name: 'DeepSeek', service: 'DeepSeek API' },
  'x-ai': { name: 'xAI', service: 'xAI API' },
  groq: { name: 'Groq', service: 'GroqCloud' },
  openrouter: { name: 'OpenRouter', service: 'OpenRouter API', platform: 'OpenRouter' },
  cohere: { name: 'Cohere', service: 'Cohere API' },
};

/** Google's own models on Vertex AI are sold as Vertex AI, not as the Gemini API. */
const VERTEX: Host = { ...HOSTS.google!, service: 'Vertex AI' };

interface Maker {
  name: string;
  /** How its models are named in a service another company hosts: "Claude on Amazon Bedrock". */
  product: string;
}

/** Model families by the start of their names (once a host's prefixes are taken off). */
const FAMILIES: readonly (readonly [RegExp, Maker])[] = [
  [/^claude/, { name: 'Anthropic', product: 'Claude' }],
  [/^gemini/, { name: 'Google', product: 'Gemini' }],
  [/^gemma/, { name: 'Google', product: 'Gemma' }],
  [/^(gpt|chatgpt|o\d(-|$)|codex|text-embedding-(3|ada)|dall-e|whisper|tts-|omni-moderation|computer-use)/, { name: 'OpenAI', product: 'OpenAI' }],
  [/^(meta-)?llama/, { name: 'Meta', product: 'Llama' }],
  [/^(mistral|mixtral|codestral|ministral|magistral|pixtral|devstral|voxtral)/, { name: 'Mistral AI', product: 'Mistral' }],
  [/^deepseek/, { name: 'DeepSeek', product: 'DeepSeek' }],
  [/^grok/, { name: 'xAI', product: 'Grok' }],
  [/^(command|c4ai-|aya-)/, { name: 'Cohere', product: 'Cohere' }],
  [/^nova/, { name: 'Amazon', product: 'Amazon Nova' }],
  [/^titan/, { name: 'Amazon', product: 'Amazon Titan' }],
  [/^qwen/, { name: 'Alibaba Cloud', product: 'Qwen' }],
  [/^jamba/, { name: 'AI21 Labs', product: 'Jamba' }],
  [/^phi-/, { name: 'Microsoft', product: 'Phi' }],
  [/^kimi/, { name: 'Moonshot AI', product: 'Kimi' }],
];

/** The maker a host's model id names before the model (Bedrock's `anthropic.`, OpenRouter's `anthropic/`, Vertex's `publishers/anthropic/`). */
const NAMED: Readonly<Record<string, string>> = {
  anthropic: 'Anthropic',
  google: 'Google',
  openai: 'OpenAI',
  amazon: 'Amazon',
  meta: 'Meta',
  'meta-llama': 'Meta',
  mistral: 'Mistral AI',
  mistralai: 'Mistral AI',
  cohere: 'Cohere',
  deepseek: 'DeepSeek',
  'deepseek-ai': 'DeepSeek',
  ai21: 'AI21 Labs',
  qwen: 'Alibaba Cloud',
  'x-ai': 'xAI',
  xai: 'xAI',
  moonshotai: 'Moonshot AI',
};

/** Bedrock's ids: an optional cross-region profile (`us.`, `eu.`, `global.`…), the maker, a dot, the model. */
const BEDROCK = /^(?:(?:us|eu|apac|jp|au|ca|us-gov|global)\.)?([a-z0-9-]+)\.(.+)$/;

/** Who made a model, from its name as a host spells it; undefined for a name that says nothing (a deployment's own name). */
export function modelMaker(model: string): Maker | undefined {
  let id = model.trim().toLowerCase();
  let named: string | undefined;
  const path = /(?:^|\/)publishers\/([^/]+)\/models\/([^/]+)$/.exec(id) ?? /^(?:.*\/)?([^/]+)\/([^/]+)$/.exec(id);
  if (path) [named, id] = [NAMED[path[1]!], path[2]!];
  const bedrock = BEDROCK.exec(id);
  if (bedrock && NAMED[bedrock[1]!]) [named, id] = [NAMED[bedrock[1]!], bedrock[2]!];
  const family = FAMILIES.find(([pattern]) => pattern.test(id))?.[1];
  if (family && (named === undefined || family.name === named)) return family;
  return named === undefined ? undefined : { name: named, product: named };
}

export interface FocusVendor {
  /** ProviderName and InvoiceIssuerName: the host, who sells the call and bills it. */
  provider: string;
  /** PublisherName: the model's maker (the host where the model's name does not say). */
  publisher: string;
  /** ServiceName: the host's own service for its own models, else the maker's models on the host's platform. */
  service: string;
}

/**
 * The FOCUS names of a call to `model` at the host with catalog id `catalog` (`fallback` names a
 * host the catalog does not know: a local server). `vertex` says a Google host is Vertex AI.
 */
export function focusVendor(catalog: string | undefined, fallback: string, model: string, vertex = false): FocusVendor {
  const known = catalog === undefined ? undefined : HOSTS[catalog];
  const host: Host = known === HOSTS.google && vertex ? VERTEX : (known ?? { name: fallback, service: `${fallback} API` });
  const maker = modelMaker(model);
  if (maker === undefined || maker.name === host.name) return { provider: host.name, publisher: host.name, service: host.service };
  return { provider: host.name, publisher: maker.name, service: host.sells?.[maker.name] ?? `${maker.product} on ${host.platform ?? host.service}` };
}

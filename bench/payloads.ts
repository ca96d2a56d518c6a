// The bytes every path moves: the client's requests and the fake upstream's answers,
// shaped like OpenAI's chat completions API. Shared by the upstream, the load
// generator and the correctness check, so they agree byte for byte.

const MESSAGES = [
  { role: 'system', content: 'You are a terse assistant.' },
  { role: 'user', content: 'Summarise the benchmark method in one sentence.' },
];

/** Non-streaming request. */
export const JSON_REQUEST = Buffer.from(JSON.stringify({ model: 'gpt-4o-mini', messages: MESSAGES, max_completion_tokens: 64 }));

/** Streaming request without stream_options, so Tollgate injects include_usage and strips it again. */
export const SSE_REQUEST = Buffer.from(JSON.stringify({ model: 'gpt-4o-mini', messages: MESSAGES, max_completion_tokens: 64, stream: true }));

const ID = 'chatcmpl-BenchAbCdEfGhIjKlMnOpQrStUvWx';
const MODEL = 'gpt-4o-mini-2024-07-18';
const CREATED = 1795000000;
const FINGERPRINT = 'fp_0123456789';

/** A chat.completion of about 600 bytes. */
export const CHAT_COMPLETION = JSON.stringify({
  id: ID,
  object: 'chat.completion',
  created: CREATED,
  model: MODEL,
  choices: [
    {
      index: 0,
      message: { role: 'assistant', content: 'Each path is measured in alternation in one run, and every figure is a median over rounds.', refusal: null, annotations: [] },
      logprobs: null,
      finish_reason: 'stop',
    },
  ],
  usage: {
    prompt_tokens: 28,
    completion_tokens: 19,
    total_tokens: 47,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  },
  service_tier: 'default',
  system_fingerprint: FINGERPRINT,
});

export const CONTENT_CHUNKS = 20;

// OpenAI adds "usage":null as the last member of every chunk when the request has
// stream_options.include_usage, then one usage-only chunk with empty choices.
function chunk(delta: string, finish: string, usage: boolean): string {
  const head = `{"id":"${ID}","object":"chat.completion.chunk","created":${CREATED},"model":"${MODEL}","service_tier":"default","system_fingerprint":"${FINGERPRINT}"`;
  return `data: ${head},"choices":[{"index":0,"delta":${delta},"logprobs":null,"finish_reason":${finish}}]${usage ? ',"usage":null' : ''}}\n\n`;
}

const USAGE_CHUNK = `data: {"id":"${ID}","object":"chat.completion.chunk","created":${CREATED},"model":"${MODEL}","service_tier":"default","system_fingerprint":"${FINGERPRINT}","choices":[],"usage":{"prompt_tokens":28,"completion_tokens":${CONTENT_CHUNKS},"total_tokens":${28 + CONTENT_CHUNKS},"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}\n\n`;

export interface Stream {
  /** Sent at once, so TTFB measures the path and not the upstream. */
  first: string;
  /** Sent after a short gap. */
  rest: string;
}

function stream(usage: boolean): Stream {
  const content = Array.from({ length: CONTENT_CHUNKS }, (_, i) => chunk(`{"content":"tok${i} "}`, 'null', usage)).join('');
  const rest = content + chunk('{}', '"stop"', usage) + (usage ? USAGE_CHUNK : '') + 'data: [DONE]\n\n';
  return { first: chunk('{"role":"assistant","content":"","refusal":null}', 'null', usage), rest };
}

export const STREAM_PLAIN = stream(false);
export const STREAM_WITH_USAGE = stream(true);

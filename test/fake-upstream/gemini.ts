import { type Content, EMPTY_CONTENT, type Usage, planContent, promptTotal, resolveUsage } from './content.js';
import { errorReply, streamError } from './errors.js';
import { jsonHeaders, sseHeaders } from './headers.js';
import { type BuildInput, type Reply, googleEvent, googleJson, isRecord, jsonReply, pretty } from './reply.js';

type Json = Record<string, unknown>;

const MODEL_PATH = /^\/(?:v1|v1beta|v1alpha)\/(models|tunedModels)\/([^/:]+):([A-Za-z]+)$/;

/** The model and method of `/v1beta/models/{model}:{method}` (a tuned model keeps its `tunedModels/` prefix), or undefined. */
export function geminiPath(pathname: string): { model: string; method: string } | undefined {
  const m = MODEL_PATH.exec(pathname);
  if (m === null) return undefined;
  try {
    const id = decodeURIComponent(m[2]!);
    return { model: m[1] === 'tunedModels' ? `tunedModels/${id}` : id, method: m[3]! };
  } catch {
    return undefined;
  }
}

const MODELS = [
  { name: 'models/gemini-2.5-flash', version: '001', displayName: 'Gemini 2.5 Flash', inputTokenLimit: 1048576, outputTokenLimit: 65536, supportedGenerationMethods: ['generateContent', 'countTokens', 'createCachedContent', 'batchGenerateContent'], temperature: 1, topP: 0.95, topK: 64, maxTemperature: 2, thinking: true },
  { name: 'models/gemini-2.5-pro', version: '2.5', displayName: 'Gemini 2.5 Pro', inputTokenLimit: 1048576, outputTokenLimit: 65536, supportedGenerationMethods: ['generateContent', 'countTokens', 'createCachedContent', 'batchGenerateContent'], temperature: 1, topP: 0.95, topK: 64, maxTemperature: 2, thinking: true },
  { name: 'models/gemini-embedding-001', version: '001', displayName: 'Gemini Embedding 001', inputTokenLimit: 2048, outputTokenLimit: 1, supportedGenerationMethods: ['embedContent', 'countTextTokens', 'countTokens', 'asyncBatchEmbedContent'] },
];

const MODEL_RESOURCE = /^\/(?:v1beta|v1alpha)\/(models|tunedModels)(?:\/([^/:]+))?$/;

/** Whether the path is `/v1beta/models[/{model}]` or `/v1beta/tunedModels[/{id}]` (not `/v1`: that is OpenAI's `/v1/models`). */
export function isModelResource(pathname: string): boolean {
  return MODEL_RESOURCE.test(pathname);
}

/** ListModelsResponse, a Model, or the tuned-model list (empty: the fake has none). */
export function buildGeminiModels(input: BuildInput): Reply {
  const m = MODEL_RESOURCE.exec(input.req.path)!;
  const tuned = m[1] === 'tunedModels';
  if (m[2] === undefined) return jsonReply(jsonHeaders('gemini'), pretty(tuned ? {} : { models: MODELS }));
  const name = `${m[1]}/${decodeURIComponent(m[2])}`;
  const found = MODELS.find((x) => x.name === name);
  return found === undefined ? errorReply('gemini', 404, { message: `models/${m[2]} is not found for API version v1beta, or is not supported for embedContent.` }, input.requestId) : jsonReply(jsonHeaders('gemini'), pretty(found));
}

/** Dyadic values print short and exactly. */
export function embedding(index: number, dims: number): Json {
  return { values: Array.from({ length: dims }, (_, i) => (((i * 37 + index * 101) % 2001) - 1000) / 16384) };
}

function dimensions(request: unknown): number {
  const d = isRecord(request) ? request.outputDimensionality : undefined;
  return typeof d === 'number' && d > 0 ? Math.floor(d) : 8;
}

/**
 * `:embedContent` answers `{embedding}`, `:batchEmbedContents` `{embeddings: [...]}` (one per request).
 * The Developer API reports no token counts for embeddings (the SDK's EmbedContentResponse has none).
 */
function buildEmbed(body: Readonly<Json>, batch: boolean): Reply {
  if (!batch) return jsonReply(jsonHeaders('gemini'), pretty({ embedding: embedding(0, dimensions(body)) }));
  const requests = Array.isArray(body.requests) ? (body.requests as unknown[]) : [];
  return jsonReply(jsonHeaders('gemini'), pretty({ embeddings: requests.map((r, i) => embedding(i, dimensions(r))) }));
}

function toolNames(body: Readonly<Json>): string[] {
  const tools = Array.isArray(body.tools) ? (body.tools as unknown[]) : [];
  return tools.flatMap((t) => {
    const decls = isRecord(t) && Array.isArray(t.functionDeclarations) ? (t.functionDeclarations as unknown[]) : [];
    return decls.flatMap((d) => (isRecord(d) && typeof d.name === 'string' ? [d.name] : []));
  });
}

/** One part per streamed chunk: the thought, each text piece, each function call. */
function parts(c: Content, streamed: boolean): Json[] {
  const out: Json[] = [];
  if (c.thinking !== undefined) out.push({ text: c.thinking, thought: true });
  if (streamed) for (const text of c.textPieces) out.push({ text });
  else if (c.text !== '') out.push({ text: c.text });
  for (const t of c.toolCalls) out.push({ functionCall: { name: t.name, args: t.args } });
  return out.length > 0 ? out : [{ text: '' }];
}

/** A `ModalityTokenCount[]`: text, and audio when there is some. */
function modalities(total: number, audio: number): Json[] {
  const text = { modality: 'TEXT', tokenCount: total - audio };
  return audio > 0 ? [text, { modality: 'AUDIO', tokenCount: audio }] : [text];
}

/** `generationConfig.candidateCount` (either spelling), 1 when unset. */
function candidateCount(body: Readonly<Json>): number {
  const configs = [body.generationConfig, body.generation_config].filter(isRecord);
  const n = configs.map((c) => c.candidateCount ?? c.candidate_count).find((v) => typeof v === 'number');
  return typeof n === 'number' && n > 1 ? Math.floor(n) : 1;
}

/**
 * Candidate `index`'s part of streamed chunk `k`, by `index` as Google sends them: the earlier
 * candidates finish first (candidate i has `count - 1 - i` chunks fewer, its first carrying the
 * parts the others stream apart), so a stream cut near its end has some finished and some not.
 */
function candidateChunk(all: readonly Json[], k: number, index: number, count: number, candidate: (p: readonly Json[], index: number, last: boolean) => Json): Json[] {
  const early = Math.min(count - 1 - index, all.length - 1);
  const chunks = all.length - early;
  if (k >= chunks) return [];
  const p = k === 0 ? all.slice(0, early + 1) : [all[k + early]!];
  return [candidate(p, index, k === chunks - 1)];
}

/** `candidates` is the running total of visible output; thoughts are counted up front. */
export function usageMetadata(u: Usage, candidates: number, last: boolean): Json {
  const prompt = promptTotal(u);
  const m: Json = { promptTokenCount: prompt, candidatesTokenCount: candidates, totalTokenCount: prompt + candidates + u.reasoning };
  if (u.cacheRead > 0) m.cachedContentTokenCount = u.cacheRead;
  m.promptTokensDetails = modalities(prompt, u.audioInput + u.audioCacheRead);
  if (u.cacheRead > 0 && last) m.cacheTokensDetails = modalities(u.cacheRead, u.audioCacheRead);
  if (u.audioOutput > 0 && last) m.candidatesTokensDetails = modalities(candidates, u.audioOutput);
  if (u.reasoning > 0) m.thoughtsTokenCount = u.reasoning;
  return m;
}

export function buildGemini(input: BuildInput): Reply {
  const { body, scenario: s, req } = input;
  const path = geminiPath(req.path);
  const model = s.model ?? path?.model ?? 'gemini-fake';
  const responseId = s.id ?? 'fakeUpstreamResp01';
  if (path?.method === 'countTokens') {
    const total = promptTotal(resolveUsage(s.usage, req.body.length, EMPTY_CONTENT));
    return jsonReply(jsonHeaders('gemini'), pretty({ totalTokens: total, promptTokensDetails: [{ modality: 'TEXT', tokenCount: total }] }));
  }
  if (path?.method === 'embedContent' || path?.method === 'batchEmbedContents') return buildEmbed(body, path.method === 'batchEmbedContents');
  const content = planContent(s, toolNames(body));
  const usage = resolveUsage(s.usage, req.body.length, content);
  const visible = Math.max(0, usage.output - usage.reasoning);
  const finishReason = s.stopReason ?? 'STOP';
  const count = candidateCount(body);
  const candidate = (p: readonly Json[], index: number, last: boolean): Json => ({ content: { parts: p, role: 'model' }, ...(last ? { finishReason } : {}), index });
  const chunk = (candidates: readonly Json[], output: number, last: boolean): Json => ({
    candidates,
    usageMetadata: usageMetadata(usage, output, last),
    modelVersion: model,
    responseId,
  });
  // Each candidate says the same; candidatesTokenCount counts them all.
  const indices = Array.from({ length: count }, (_, i) => i);
  if (path?.method !== 'streamGenerateContent') return jsonReply(jsonHeaders('gemini'), pretty(chunk(indices.map((i) => candidate(parts(content, false), i, true)), visible * count, true)));
  const all = parts(content, true);
  const chunks = all.map((_, k) => chunk(indices.flatMap((i) => candidateChunk(all, k, i, count, candidate)), Math.round((visible * count * (k + 1)) / all.length), k === all.length - 1));
  if (req.query.alt === 'sse') {
    const pieces = chunks.map((c) => googleEvent(googleJson(c)));
    return { status: 200, headers: sseHeaders('gemini'), pieces, stream: true, errorEvent: streamError('gemini.sse', s.error) };
  }
  // Without alt=sse Google streams one pretty-printed JSON array, element by element.
  const pieces = chunks.map((c, i) => Buffer.from(`${i === 0 ? '[' : '\n,\r\n'}${JSON.stringify(c, null, 2)}`));
  pieces.push(Buffer.from('\n]'));
  return { status: 200, headers: jsonHeaders('gemini'), pieces, stream: true, errorEvent: streamError('gemini.array', s.error) };
}

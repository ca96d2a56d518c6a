import { type Content, EMPTY_CONTENT, type Usage, planContent, promptTotal, resolveUsage } from './content.js';
import { streamError } from './errors.js';
import { jsonHeaders, sseHeaders } from './headers.js';
import { type BuildInput, type Reply, googleEvent, googleJson, isRecord, jsonReply, pretty } from './reply.js';

type Json = Record<string, unknown>;

const MODEL_PATH = /^\/(?:v1|v1beta|v1alpha)\/models\/([^/:]+):([A-Za-z]+)$/;

/** The model and method of `/v1beta/models/{model}:{method}`, or undefined. */
export function geminiPath(pathname: string): { model: string; method: string } | undefined {
  const m = MODEL_PATH.exec(pathname);
  if (m === null) return undefined;
  try {
    return { model: decodeURIComponent(m[1]!), method: m[2]! };
  } catch {
    return undefined;
  }
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

/** `candidates` is the running total of visible output; thoughts are counted up front. */
function usageMetadata(u: Usage, candidates: number, last: boolean): Json {
  const prompt = promptTotal(u);
  const m: Json = { promptTokenCount: prompt, candidatesTokenCount: candidates, totalTokenCount: prompt + candidates + u.reasoning };
  if (u.cacheRead > 0) m.cachedContentTokenCount = u.cacheRead;
  m.promptTokensDetails = [{ modality: 'TEXT', tokenCount: prompt }];
  if (u.cacheRead > 0 && last) m.cacheTokensDetails = [{ modality: 'TEXT', tokenCount: u.cacheRead }];
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
  const content = planContent(s, toolNames(body));
  const usage = resolveUsage(s.usage, req.body.length, content);
  const visible = Math.max(0, usage.output - usage.reasoning);
  const finishReason = s.stopReason ?? 'STOP';
  const chunk = (p: readonly Json[], candidates: number, last: boolean): Json => ({
    candidates: [{ content: { parts: p, role: 'model' }, ...(last ? { finishReason } : {}), index: 0 }],
    usageMetadata: usageMetadata(usage, candidates, last),
    modelVersion: model,
    responseId,
  });
  if (path?.method !== 'streamGenerateContent') return jsonReply(jsonHeaders('gemini'), pretty(chunk(parts(content, false), visible, true)));
  const all = parts(content, true);
  const chunks = all.map((p, i) => chunk([p], Math.round((visible * (i + 1)) / all.length), i === all.length - 1));
  if (req.query.alt === 'sse') {
    const pieces = chunks.map((c) => googleEvent(googleJson(c)));
    return { status: 200, headers: sseHeaders('gemini'), pieces, stream: true, errorEvent: streamError('gemini.sse', s.error) };
  }
  // Without alt=sse Google streams one pretty-printed JSON array, element by element.
  const pieces = chunks.map((c, i) => Buffer.from(`${i === 0 ? '[' : '\n,\r\n'}${JSON.stringify(c, null, 2)}`));
  pieces.push(Buffer.from('\n]'));
  return { status: 200, headers: jsonHeaders('gemini'), pieces, stream: true, errorEvent: streamError('gemini.array', s.error) };
}

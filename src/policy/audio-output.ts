/**
 * Model names that answer in audio unless the request says otherwise: OpenAI's audio chat models
 * (`gpt-audio`, `gpt-4o-audio-preview`), speech (`gpt-4o-mini-tts`, `tts-1`) and Gemini's TTS and
 * native-audio models (`gemini-2.5-flash-preview-tts`).
 */
const AUDIO_MODEL = /(?:^|[-_./])(?:tts|audio)(?:$|[-_./])/i;

function said(v: unknown): string[] | undefined {
  return Array.isArray(v) ? v.filter((m): m is string => typeof m === 'string').map((m) => m.toLowerCase()) : undefined;
}

/**
 * Whether a request asks for audio output, which is priced at the model's audio output rate, many
 * times its text rate (`gpt-audio` $64 a million against $10): OpenAI's `modalities` with `audio`,
 * Gemini's `generationConfig.responseModalities` with `AUDIO` (also snake_case), or, where the request
 * names no output modalities, a model whose name says audio or TTS (the Audio API's speech among
 * them). Pure: two property reads for a request that says none.
 */
export function asksForAudio(json: unknown, model: string): boolean {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return AUDIO_MODEL.test(model);
  const body = json as Record<string, unknown>;
  const gen = (body.generationConfig ?? body.generation_config) as Record<string, unknown> | null | undefined;
  const modalities = said(body.modalities) ?? (typeof gen === 'object' && gen !== null ? said(gen.responseModalities ?? gen.response_modalities) : undefined);
  return modalities === undefined ? AUDIO_MODEL.test(model) : modalities.includes('audio');
}

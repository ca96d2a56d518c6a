import { type Usage, tokens, zeroUsage } from '../../core/usage.js';
import { type JsonObject, asObject, dig } from '../shared/json.js';
import { errorFromValue } from '../shared/upstream-error.js';
import type { Metered, ResponseTap } from '../types.js';
import { UsageAtEndReader, meteredOrUnpriced } from './usage-at-end.js';

/**
 * The Audio API's token `usage` (`type: "tokens"`: the GPT-4o transcribe and TTS models). A
 * transcription's input is the recording (`input_token_details.audio_tokens`) and any prompt
 * text; without the split, all of it is taken as audio, the dearer reading. Speech's output is
 * audio. A `type: "duration"` usage (Whisper, billed by the minute) counts no tokens: undefined.
 */
export function audioUsage(usage: unknown, speech: boolean): Usage | undefined {
  if (dig(usage, 'type') === 'duration') return undefined;
  const u = zeroUsage();
  u.inputTokens = tokens(dig(usage, 'input_tokens'));
  u.outputTokens = tokens(dig(usage, 'output_tokens'));
  const audio = dig(usage, 'input_token_details', 'audio_tokens');
  const audioIn = speech ? 0 : Math.min(u.inputTokens, typeof audio === 'number' ? tokens(audio) : u.inputTokens);
  const audioOut = speech ? u.outputTokens : 0;
  if (audioIn + audioOut > 0) u.audio = { input: audioIn, cacheRead: 0, output: audioOut };
  return u;
}

/** A transcription or translation as JSON (`json`, `verbose_json`, `diarized_json`): `{text, usage?}`. */
export function readAudioBody(body: JsonObject, complete: boolean): Metered {
  const usage = asObject(body.usage);
  return meteredOrUnpriced(usage && audioUsage(usage, false), complete, errorFromValue(body));
}

/** Bytes that carry no usage (speech's audio, a transcript as text or subtitles): forwarded as they come, none kept. */
export function audioBytesTap(): ResponseTap {
  return { push: (chunk, emit) => emit(chunk), finish: (complete) => meteredOrUnpriced(undefined, complete, undefined), readsNothing: true };
}

/** A transcription stream (`stream: true`) or a speech stream (`stream_format: "sse"`): the usage is in its done event. */
export function audioStreamReader(): UsageAtEndReader {
  return new UsageAtEndReader(new Set(['transcript.text.done', 'speech.audio.done']), ['event: transcript.text.delta\n', 'event: speech.audio.delta\n'], (usage, endedWith) =>
    audioUsage(usage, endedWith === 'speech.audio.done'),
  );
}

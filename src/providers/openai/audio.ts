import { type Usage, tokens, zeroUsage } from '../../core/usage.js';
import type { SseEvent } from '../../sse/parser.js';
import { type JsonObject, asObject, dig, parseJson, peekType } from '../shared/json.js';
import { sourceOf } from '../shared/metered.js';
import { type StreamReader, everyEventOpensWith } from '../shared/taps.js';
import { errorFromValue } from '../shared/upstream-error.js';
import type { Metered, ResponseTap, UpstreamErrorInfo } from '../types.js';

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

/**
 * What an answer of the Audio API made: its usage when it counts tokens. Without one (Whisper's
 * duration, a transcript asked for as text or subtitles, speech's audio bytes) it was billed all
 * the same, by a unit the ledger does not price: the row is unpriced, not free.
 */
function audioMetered(usage: unknown, speech: boolean, sawEnd: boolean, error: UpstreamErrorInfo | undefined): Metered {
  const counted = usage === undefined ? undefined : audioUsage(usage, speech);
  const m: Metered = { usage: counted ?? zeroUsage(), usageSource: sourceOf(counted !== undefined, sawEnd), servedModel: undefined, error, sawEnd };
  if (counted === undefined && sawEnd && error === undefined) m.billedWithoutUsage = true;
  return m;
}

/** A transcription or translation as JSON (`json`, `verbose_json`, `diarized_json`): `{text, usage?}`. */
export function readAudioBody(body: JsonObject, complete: boolean): Metered {
  return audioMetered(asObject(body.usage), false, complete, errorFromValue(body));
}

/** Bytes that say nothing metered (speech's audio, a transcript as text or subtitles): forwarded as they come, none kept. */
export function audioBytesTap(): ResponseTap {
  return { push: (chunk, emit) => emit(chunk), finish: (complete) => audioMetered(undefined, false, complete, undefined) };
}

const DONE = new Set(['transcript.text.done', 'speech.audio.done']);
/** The deltas: transcript text, or speech's audio (base64, most of its bytes). */
const DELTA_EVENTS = ['event: transcript.text.delta\n', 'event: speech.audio.delta\n'];

/** Reads a transcription stream (`stream: true`) or a speech stream (`stream_format: "sse"`): the usage is in its done event. */
export class AudioStreamReader implements StreamReader {
  private usage: unknown;
  private speech = false;
  private ended = false;
  private error: UpstreamErrorInfo | undefined;

  onEvent(event: SseEvent): void {
    const type = event.event ?? peekType(event.data);
    if (type !== undefined && DONE.has(type)) {
      this.ended = true;
      this.speech = type === 'speech.audio.done';
      const usage = asObject(asObject(parseJson(event.data))?.usage);
      if (usage !== undefined) this.usage = usage;
    } else if (type === 'error') this.error = errorFromValue(parseJson(event.data)) ?? { type: 'error', message: event.data };
  }

  ignorable(text: string): boolean {
    return everyEventOpensWith(text, DELTA_EVENTS);
  }

  result(): Metered {
    return audioMetered(this.usage, this.speech, this.ended, this.error);
  }
}

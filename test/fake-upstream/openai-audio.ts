import { jsonHeaders, sseHeaders } from './headers.js';
import { type BuildInput, type Reply, formField, jsonReply, namedEvent, pretty, str } from './reply.js';

const TRANSCRIPT = 'The quick brown fox jumps over the lazy dog.';
/** A few bytes standing for an MP3: the fake's every spoken answer. */
const MP3 = Buffer.from('ID3\u0004\u0000\u0000\u0000\u0000\u0000\u0000fake-audio', 'latin1');

/**
 * `POST /audio/transcriptions` and `/audio/translations` (forms) and `/audio/speech` (JSON). The
 * GPT-4o transcribe models report token usage (the scenario's `audioInput` audio tokens and
 * `input` prompt tokens, `output` text tokens), Whisper a duration; a transcript asked for as
 * `text` is plain text. Speech answers audio bytes, or with `stream_format: "sse"` audio deltas
 * and a done event with token usage (`input` text tokens, `output` audio tokens).
 */
export function buildAudio(input: BuildInput): Reply {
  const { req, scenario: s, body } = input;
  const u = { text: s.usage?.input ?? 12, audio: s.usage?.audioInput ?? 950, output: s.usage?.output ?? 11 };
  if (req.path.endsWith('/speech')) {
    if (body.stream_format !== 'sse') return { status: 200, headers: { 'content-type': 'audio/mpeg' }, pieces: [MP3], stream: false };
    const usage = { input_tokens: u.text, output_tokens: u.output, total_tokens: u.text + u.output };
    const pieces = [0, 1].map((i) => namedEvent('speech.audio.delta', JSON.stringify({ type: 'speech.audio.delta', audio: MP3.toString('base64').slice(i * 8, i * 8 + 8) })));
    pieces.push(namedEvent('speech.audio.done', JSON.stringify({ type: 'speech.audio.done', usage })));
    return { status: 200, headers: sseHeaders('openai'), pieces, stream: true };
  }
  const model = formField(req.body, 'model') ?? str(body.model) ?? 'whisper-1';
  const usage = model.startsWith('whisper')
    ? { type: 'duration', seconds: 7 }
    : { type: 'tokens', input_tokens: u.text + u.audio, input_token_details: { text_tokens: u.text, audio_tokens: u.audio }, output_tokens: u.output, total_tokens: u.text + u.audio + u.output };
  if (formField(req.body, 'stream') === 'true') {
    const pieces = TRANSCRIPT.split(' ').map((w, i) => namedEvent('transcript.text.delta', JSON.stringify({ type: 'transcript.text.delta', delta: (i === 0 ? '' : ' ') + w })));
    pieces.push(namedEvent('transcript.text.done', JSON.stringify({ type: 'transcript.text.done', text: TRANSCRIPT, usage })));
    return { status: 200, headers: sseHeaders('openai'), pieces, stream: true };
  }
  if (formField(req.body, 'response_format') === 'text') return { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, pieces: [Buffer.from(TRANSCRIPT + '\n')], stream: false };
  return jsonReply(jsonHeaders('openai'), pretty({ text: TRANSCRIPT, usage }));
}

import { describe, expect, it } from 'vitest';
import { openaiAdapter } from '../openai/adapter.js';
import { formFields, inspectForm } from './form-fields.js';

const form = (boundary: string, parts: string[]) => Buffer.from(parts.map((p) => `--${boundary}\r\n${p}\r\n`).join('') + `--${boundary}--\r\n`, 'latin1');

describe('formFields', () => {
  it('reads the text fields of a multipart form, skipping the files, whatever the files hold', () => {
    const png = '\x89PNG\r\n\x1a\n\r\n--not-the-boundary\r\nname="model"\r\n\r\n';
    const body = form('----b0undary', [
      'Content-Disposition: form-data; name="image"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n' + png,
      'Content-Disposition: form-data; name="model"\r\n\r\ngpt-image-1',
      'Content-Disposition: form-data; name="prompt"\r\n\r\nA red door,\r\nat dusk: ünïcode',
      'content-disposition: form-data; name=stream\r\n\r\ntrue',
      'Content-Disposition: form-data; name="model"\r\n\r\nsecond-value-ignored',
    ]);
    const fields = formFields(body, 'multipart/form-data; boundary=----b0undary');
    expect(Object.fromEntries(fields!)).toEqual({ model: 'gpt-image-1', prompt: Buffer.from('A red door,\r\nat dusk: ünïcode', 'latin1').toString('utf8'), stream: 'true' });
  });

  it('takes a quoted boundary, and answers undefined for what is not a form', () => {
    const body = form('a b', ['Content-Disposition: form-data; name="n"\r\n\r\n2']);
    expect(formFields(body, 'multipart/form-data; charset=utf-8; boundary="a b"')?.get('n')).toBe('2');
    expect(formFields(body, 'application/json')).toBeUndefined();
    expect(formFields(body, 'multipart/form-data')).toBeUndefined();
    expect(formFields(body, undefined)).toBeUndefined();
  });

  it('stops at a torn or empty body without throwing', () => {
    const body = form('b', ['Content-Disposition: form-data; name="model"\r\n\r\ngpt-image-1']);
    for (let cut = 0; cut < body.length; cut++) expect(() => formFields(body.subarray(0, cut), 'multipart/form-data; boundary=b')).not.toThrow();
    expect(formFields(body.subarray(0, 20), 'multipart/form-data; boundary=b')!.size).toBe(0);
  });
});

describe('inspectForm', () => {
  const body = Buffer.from('--b\r\nContent-Disposition: form-data; name="model"\r\n\r\ngpt-image-1\r\n--b--\r\n');
  const type = 'multipart/form-data; boundary=b';

  it('reads a billed request’s form, and leaves a free API’s upload unscanned', () => {
    expect(inspectForm(openaiAdapter, { api: 'openai.images', dialect: 'openai', method: 'POST', rawBody: true }, body, type)).toEqual({ model: 'gpt-image-1', stream: false, textBytes: 11 });
    expect(inspectForm(openaiAdapter, { api: 'openai.files', dialect: 'openai', method: 'POST', rawBody: true }, body, type)).toBeUndefined();
  });

  it('refuses a form that gives its model or stream twice (a server taking the last would serve a model other than the one checked and billed)', () => {
    const twice = (name: string, a: string, b: string) =>
      form('b', [`Content-Disposition: form-data; name="${name}"\r\n\r\n${a}`, 'Content-Disposition: form-data; name="file"; filename="a.mp3"\r\n\r\nID3', `Content-Disposition: form-data; name="${name}"\r\n\r\n${b}`]);
    const audio = { api: 'openai.audio', dialect: 'openai', method: 'POST', rawBody: true } as const;
    expect(() => inspectForm(openaiAdapter, audio, twice('model', 'whisper-1', 'gpt-4o-transcribe'), type)).toThrow('The form gives "model" more than once');
    expect(() => inspectForm(openaiAdapter, audio, twice('stream', 'false', 'true'), type)).toThrow('The form gives "stream" more than once');
    // Other fields may repeat: an array's items each come as a part of their own.
    const granularities = form('b', ['Content-Disposition: form-data; name="model"\r\n\r\nwhisper-1', 'Content-Disposition: form-data; name="timestamp_granularities[]"\r\n\r\nword', 'Content-Disposition: form-data; name="timestamp_granularities[]"\r\n\r\nsegment']);
    expect(inspectForm(openaiAdapter, audio, granularities, type)).toMatchObject({ model: 'whisper-1', stream: false });
  });
});

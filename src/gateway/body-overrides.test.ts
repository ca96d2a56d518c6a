import { describe, expect, it } from 'vitest';
import { lookupOpenaiRoute } from '../providers/openai/routes.js';
import type { RouteMatch } from '../providers/types.js';
import { overrideBody } from './body-overrides.js';

const CT = 'multipart/form-data; boundary=b';
const body = (model: string) => Buffer.from(`--b\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n\r\n{"model":"x"}\xff\r\n--b\r\nContent-Disposition: form-data; name="model"\r\n\r\n${model}\r\n--b--\r\n`, 'latin1');

const route = (path: string): RouteMatch => {
  const found = lookupOpenaiRoute('POST', path);
  if (found.kind !== 'match') throw new Error(path);
  return found.route;
};

describe('overrideBody', () => {
  it('never re-serialises a form as JSON: a form keeps its bytes under an output cap, and changes only its model', () => {
    const src = { route: route('/v1/audio/transcriptions'), json: undefined, raw: body('whisper-1'), contentType: CT };
    expect(overrideBody(src, '/v1/audio/transcriptions', { maxOutputTokens: 10 }).body).toBe(src.raw);
    expect(overrideBody(src, '/v1/audio/transcriptions', { model: 'm', maxOutputTokens: 10 }).body.toString('latin1')).toBe(body('m').toString('latin1'));
  });

  it('re-serialises a JSON body as before, from the cache-edited bytes when they carry more', () => {
    const chat = route('/v1/chat/completions');
    const json = { model: 'a', messages: [] };
    expect(JSON.parse(overrideBody({ route: chat, json, raw: Buffer.from('{}'), contentType: 'application/json' }, '/v1/chat/completions', { model: 'b' }).body.toString())).toEqual({ model: 'b', messages: [] });
    const edited = Buffer.from('{"model":"a","messages":[],"extra":1}');
    expect(JSON.parse(overrideBody({ route: chat, json, raw: edited, contentType: 'application/json', cacheEdited: true }, '/v1/chat/completions', { model: 'b' }).body.toString())).toEqual({ model: 'b', messages: [], extra: 1 });
  });
});

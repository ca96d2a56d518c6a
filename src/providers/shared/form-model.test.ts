import { describe, expect, it } from 'vitest';
import { withFormModel } from './form-model.js';

const CT = 'multipart/form-data; boundary=----b0undary';
const part = (headers: string, value: string) => `------b0undary\r\n${headers}\r\n\r\n${value}\r\n`;
/** A file whose bytes hold what looks like a model part, and bytes no text decoding keeps. */
const FILE = '\x89PNG\r\n\x1a\n\r\nContent-Disposition: form-data; name="model"\r\n\r\nwhisper-1\r\n\xff\x00\xfe';

function body(model: string, preamble = '', epilogue = ''): Buffer {
  return Buffer.from(
    preamble +
      part('Content-Disposition: form-data; name="file"; filename="a.wav"\r\nContent-Type: audio/wav', FILE) +
      part('Content-Disposition: form-data; name="model"\r\nContent-Type: text/plain; charset=utf-8', model) +
      part('Content-Disposition: form-data; name="prompt"', 'model: keep the names') +
      '------b0undary--\r\n' +
      epilogue,
    'latin1',
  );
}

describe('withFormModel', () => {
  it('changes the model part value alone, to a longer or a shorter name, keeping every other byte', () => {
    for (const to of ['gpt-4o-mini-transcribe', 'w', 'modèle-ü']) {
      const out = withFormModel(body('gpt-4o-transcribe', 'a preamble\r\n', 'an epilogue'), CT, to);
      expect(out.toString('latin1')).toBe(body(Buffer.from(to, 'utf8').toString('latin1'), 'a preamble\r\n', 'an epilogue').toString('latin1'));
    }
  });

  it('finds the part by a quoted boundary and an unquoted name', () => {
    const b = Buffer.from('--a b\r\ncontent-disposition: form-data; name=model\r\n\r\nx\r\n--a b--\r\n');
    expect(withFormModel(b, 'multipart/form-data; boundary="a b"', 'yz').toString()).toBe('--a b\r\ncontent-disposition: form-data; name=model\r\n\r\nyz\r\n--a b--\r\n');
  });

  it('refuses a body with no single text part named model to change', () => {
    const noModel = Buffer.from(part('Content-Disposition: form-data; name="file"; filename="a.wav"', FILE) + '------b0undary--\r\n', 'latin1');
    const asFile = Buffer.from(part('Content-Disposition: form-data; name="model"; filename="m.txt"', 'x') + '------b0undary--\r\n', 'latin1');
    const twice = Buffer.from(part('Content-Disposition: form-data; name="model"', 'a') + part('Content-Disposition: form-data; name="model"', 'b') + '------b0undary--\r\n', 'latin1');
    for (const [b, ct] of [[noModel, CT], [asFile, CT], [twice, CT], [body('m'), 'application/json'], [body('m'), undefined]] as const) {
      expect(() => withFormModel(b, ct, 'other')).toThrow(expect.objectContaining({ code: 'invalid_request' }));
    }
  });

  it('refuses a model whose line break would end the part early', () => {
    expect(() => withFormModel(body('m'), CT, 'x\r\n------b0undary')).toThrow(/line break/);
  });
});

import { describe, expect, it } from 'vitest';
import { findMedia } from './media.js';
import { pdfB64, pngB64, webpB64 } from './fixtures.js';

const png = pngB64(640, 480);
const pdf = pdfB64(2);

describe('finding media in a request body', () => {
  it('finds Anthropic image and document blocks, in tool results and document content too', () => {
    const found = findMedia({
      system: [{ type: 'text', text: 'sys' }],
      messages: [
        { role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: png } }, { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: pdf } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: [{ type: 'image', source: { type: 'url', url: 'https://x/a.png' } }] }] },
        { role: 'user', content: [{ type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'plain text is text' } }] },
        { role: 'user', content: 'just text' },
      ],
    });
    expect(found.map((m) => [m.kind, m.dialect, m.chars, m.data !== undefined])).toEqual([
      ['image', 'anthropic', png.length, true],
      ['pdf', 'anthropic', pdf.length, true],
      ['image', 'anthropic', 'https://x/a.png'.length, false],
    ]);
  });

  it('finds OpenAI Chat image_url and file parts, and Responses input_image and input_file', () => {
    const url = `data:image/png;base64,${png}`;
    const chat = findMedia({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url, detail: 'low' } }, { type: 'file', file: { filename: 'a.pdf', file_data: `data:application/pdf;base64,${pdf}` } }, { type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } }] }] });
    expect(chat.map((m) => [m.kind, m.chars, m.detail, m.data?.length])).toEqual([
      ['image', url.length, 'low', png.length],
      ['pdf', pdf.length + 'data:application/pdf;base64,'.length, undefined, pdf.length],
    ]);
    const responses = findMedia({ input: [{ role: 'user', content: [{ type: 'input_image', image_url: url }, { type: 'input_file', file_id: 'file-1' }] }, { type: 'function_call_output', call_id: 'c', output: [{ type: 'input_image', image_url: 'https://x/b.png' }] }] });
    expect(responses.map((m) => [m.kind, m.data !== undefined])).toEqual([['image', true], ['pdf', false], ['image', false]]);
    expect(findMedia({ input: 'just text' })).toEqual([]);
  });

  it('finds Gemini inlineData and fileData parts of images and PDFs, in either spelling, and leaves audio and video to the bytes', () => {
    const webp = webpB64(100, 100);
    const found = findMedia({
      systemInstruction: { parts: [{ text: 'sys' }] },
      contents: [{ role: 'user', parts: [{ inlineData: { mimeType: 'image/webp', data: webp } }, { inline_data: { mime_type: 'application/pdf', data: pdf } }, { fileData: { mimeType: 'image/png', fileUri: 'gs://b/c.png' } }, { inlineData: { mimeType: 'audio/wav', data: 'AAAA' } }, { fileData: { mimeType: 'video/mp4', fileUri: 'gs://b/v.mp4' } }, { text: 'hi' }] }],
    });
    expect(found.map((m) => [m.kind, m.dialect, m.data !== undefined])).toEqual([['image', 'gemini', true], ['pdf', 'gemini', true], ['image', 'gemini', false]]);
  });

  it('looks at lists of blocks only, not into text or tool arguments', () => {
    const body = { messages: [{ role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'n', input: { nested: { type: 'image', source: { type: 'base64', data: png } } } }] }], tools: [{ name: 'n', input_schema: { type: 'object' } }] };
    expect(findMedia(body)).toEqual([]);
    expect(findMedia(undefined)).toEqual([]);
    expect(findMedia('text')).toEqual([]);
  });
});

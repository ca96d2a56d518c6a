import { describe, expect, it } from 'vitest';
import { fileNameOfUri, mayNameFiles, namedFiles, readUploadedFile } from './files.js';

describe('the files of the Files API a request names', () => {
  it('reads a file from its full URI or its name, however written, and nothing else as one', () => {
    const named: [string, string][] = [
      ['https://generativelanguage.googleapis.com/v1beta/files/abc-123', 'files/abc-123'],
      ['files/abc-123', 'files/abc-123'],
      ['  Files/abc-123 ', 'files/abc-123'],
      ['https://generativelanguage.googleapis.com/v1/files/abc-123?key=x', 'files/abc-123'],
      ['HTTPS://GenerativeLanguage.GoogleAPIs.com:443/v1beta/files/abc-123', 'files/abc-123'],
      ['https://generativelanguage.googleapis.com/v1beta/files/abc-123:download?alt=media', 'files/abc-123'],
      ['https://generativelanguage.googleapis.com/v1beta/files/%61bc-123', 'files/abc-123'],
      ['https://generativelanguage.googleapis.com/v1beta/files/abc/more', 'files/abc'],
      ['https://generativelanguage.mtls.googleapis.com/v1beta/files/abc', 'files/abc'],
      // Badly escaped: still a file, refused unless its owner is known.
      ['https://generativelanguage.googleapis.com/v1beta/files/%E0', 'files/%E0'],
    ];
    for (const [uri, name] of named) expect(fileNameOfUri(uri), uri).toBe(name);
    for (const uri of ['https://www.youtube.com/watch?v=9hE5-98ZeCg', 'gs://bucket/files/abc.pdf', 'https://storage.googleapis.com/bucket/files/abc.pdf', 'https://example.com/v1beta/files/abc', 'https://generativelanguage.googleapis.com.example.com/v1beta/files/abc', 'ftp://generativelanguage.googleapis.com/v1beta/files/abc', 'https://generativelanguage.googleapis.com/v1beta/models', 'not a uri', '']) {
      expect(fileNameOfUri(uri), uri).toBeUndefined();
    }
  });

  it('finds them in the parts of contents, a system instruction, a wrapped request, embeddings and function responses, by either field name', () => {
    const part = (uri: string) => ({ fileData: { fileUri: uri, mimeType: 'application/pdf' } });
    expect(
      namedFiles({
        contents: [{ role: 'user', parts: [{ text: 'x' }, part('files/a'), { file_data: { file_uri: 'files/b' } }] }, { role: 'model', parts: [{ functionResponse: { name: 'f', response: {}, parts: [part('files/c')] } }] }],
        systemInstruction: { parts: [part('files/d')] },
        // Both names at once: which the provider reads is not known, so both are checked.
        system_instruction: { parts: [part('files/e')] },
      }),
    ).toEqual(['files/a', 'files/b', 'files/c', 'files/d', 'files/e']);
    expect(namedFiles({ generate_content_request: { contents: [{ parts: [part('files/e')] }], system_instruction: { parts: [part('files/f')] } } })).toEqual(['files/e', 'files/f']);
    expect(namedFiles({ contents: [{ parts: [{ fileData: { fileUri: 'files/x', file_uri: 'files/y' } }] }] })).toEqual(['files/x', 'files/y']);
    expect(namedFiles({ content: { parts: [part('files/g')] }, requests: [{ content: { parts: [part('files/h'), part('files/g')] } }] })).toEqual(['files/g', 'files/h']);
    // Not a part: a function's arguments or response are its own data.
    expect(namedFiles({ contents: [{ parts: [{ functionCall: { name: 'f', args: { fileData: { fileUri: 'files/x' } } } }, { functionResponse: { name: 'f', response: { fileData: { fileUri: 'files/y' } } } }] }] })).toEqual([]);
    for (const odd of [undefined, null, 'x', [], { contents: 'x' }, { contents: [null, { parts: [null, 7, { fileData: { fileUri: 7 } }] }] }]) expect(namedFiles(odd)).toEqual([]);
  });

  it('looks into a body only when its bytes may name a file', () => {
    expect(mayNameFiles(undefined)).toBe(true);
    expect(mayNameFiles(Buffer.from('{"contents":[{"parts":[{"fileData":{"fileUri":"files/a"}}]}]}'))).toBe(true);
    expect(mayNameFiles(Buffer.from('{"contents":[{"parts":[{"file_data":{"file_uri":"files/a"}}]}]}'))).toBe(true);
    expect(mayNameFiles(Buffer.from('{"contents":[{"parts":[{"fileData":{"\\u0066ileUri":"files/a"}}]}]}'))).toBe(true);
    expect(mayNameFiles(Buffer.from('{"contents":[{"parts":[{"text":"a file named files/a"}]}]}'))).toBe(false);
  });
});

describe('an upload answer', () => {
  it('names the file it made, once whole; a start or a chunk names none', () => {
    const made = JSON.stringify({ file: { name: 'files/abc', uri: 'https://generativelanguage.googleapis.com/v1beta/files/abc', state: 'ACTIVE' } });
    expect(readUploadedFile(made, true)).toMatchObject({ responseId: 'files/abc', usageSource: 'none', sawEnd: true });
    expect(readUploadedFile(made, false).responseId).toBeUndefined();
    expect(readUploadedFile('', true).responseId).toBeUndefined();
    expect(readUploadedFile(undefined, true).responseId).toBeUndefined();
    expect(readUploadedFile('{"file":{"name":"cachedContents/x"}}', true).responseId).toBeUndefined();
    expect(readUploadedFile('{"error":{"code":400,"message":"bad","status":"INVALID_ARGUMENT"}}', true).error).toMatchObject({ message: 'bad' });
  });
});

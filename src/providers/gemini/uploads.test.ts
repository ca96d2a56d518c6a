import { describe, expect, it } from 'vitest';
import { gatewayUploadUrl, readUploadRequest } from './uploads.js';

const GOOGLE = 'https://generativelanguage.googleapis.com';
const given = `${GOOGLE}/upload/v1beta/files?upload_id=AHxI1nP-x_y&upload_protocol=resumable`;

describe('a Gemini upload request', () => {
  it('tells a start (with the size it declares) from a request that goes on with an upload (at its offset)', () => {
    expect(readUploadRequest({ 'x-goog-upload-header-content-length': '3145728' }, new URLSearchParams())).toEqual({ offset: 0, declaredSize: 3145728 });
    expect(readUploadRequest({}, new URLSearchParams('alt=json'))).toEqual({ offset: 0 });
    expect(readUploadRequest({ 'x-goog-upload-offset': '8388608', 'x-goog-upload-header-content-length': '9' }, new URLSearchParams('upload_id=AB&upload_protocol=resumable'))).toEqual({ uploadId: 'AB', offset: 8388608 });
    for (const bad of ['-1', '1e3', 'x', '', '99999999999999999999']) expect(readUploadRequest({ 'x-goog-upload-offset': bad }, new URLSearchParams('upload_id=AB')).offset).toBe(0);
    expect(readUploadRequest({ 'x-goog-upload-header-content-length': 'lots' }, new URLSearchParams())).toEqual({ offset: 0 });
    expect(readUploadRequest({}, new URLSearchParams('upload_id='))).toEqual({ offset: 0 });
  });
});

describe('the upload URL a client is given', () => {
  it('is the provider one at the gateway, its path and query kept, under the client /p/{provider}', () => {
    expect(gatewayUploadUrl(given, GOOGLE, 'http://gw:8790')).toBe('http://gw:8790/upload/v1beta/files?upload_id=AHxI1nP-x_y&upload_protocol=resumable');
    expect(gatewayUploadUrl(given, `${GOOGLE}/`, 'https://gw.example/p/gemini-eu/')).toBe('https://gw.example/p/gemini-eu/upload/v1beta/files?upload_id=AHxI1nP-x_y&upload_protocol=resumable');
    // A provider behind a proxy with a path: that base is taken off, as the gateway puts it back going upstream.
    expect(gatewayUploadUrl('https://proxy.example/google/upload/v1beta/files?upload_id=A', 'https://proxy.example/google', 'http://gw')).toBe('http://gw/upload/v1beta/files?upload_id=A');
    // Another host: its path and query.
    expect(gatewayUploadUrl('https://uploads.example/upload/v1beta/files?upload_id=A', GOOGLE, 'http://gw')).toBe('http://gw/upload/v1beta/files?upload_id=A');
    // Relative to the provider.
    expect(gatewayUploadUrl('/upload/v1beta/files?upload_id=A', GOOGLE, 'http://gw')).toBe('http://gw/upload/v1beta/files?upload_id=A');
    expect(gatewayUploadUrl('http://[bad', GOOGLE, 'http://gw')).toBeUndefined();
  });

  it('never passes on a key the provider URL holds, and carries the client key when it sent it in the URL', () => {
    const keyed = `${GOOGLE}/upload/v1beta/files?key=AIza-provider&upload_id=A%2BB&upload_protocol=resumable&%6Bey=again`;
    expect(gatewayUploadUrl(keyed, GOOGLE, 'http://gw')).toBe('http://gw/upload/v1beta/files?upload_id=A%2BB&upload_protocol=resumable');
    expect(gatewayUploadUrl(keyed, GOOGLE, 'http://gw', 'tg_a b&c')).toBe('http://gw/upload/v1beta/files?upload_id=A%2BB&upload_protocol=resumable&key=tg_a%20b%26c');
  });
});

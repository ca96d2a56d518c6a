import { describe, expect, it } from 'vitest';
import { shownUrl, withoutPassword } from './url-text.js';

describe('withoutPassword', () => {
  it('hides a password and leaves everything else as it was', () => {
    expect(withoutPassword(new URL('redis://:s3cret@cache:6379/0'))).toBe('redis://:***@cache:6379/0');
    expect(withoutPassword(new URL('http://alice:s3cret@proxy:3128'))).toBe('http://alice:***@proxy:3128/');
    expect(withoutPassword(new URL('postgres://postgres@127.0.0.1:5432/test'))).toBe('postgres://postgres@127.0.0.1:5432/test');
  });
});

describe('shownUrl', () => {
  it('shows a configured URL as written, its password hidden', () => {
    expect(shownUrl('http://user:URLPASSWORDSECRET@127.0.0.1:18200')).toBe('http://user:***@127.0.0.1:18200');
    expect(shownUrl('https://api.openai.com')).toBe('https://api.openai.com');
    expect(shownUrl('https://u:p@host/base/')).toBe('https://u:***@host/base/');
  });
});

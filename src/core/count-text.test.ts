import { describe, expect, it } from 'vitest';
import { byteSize, countText, spanText } from './count-text.js';

describe('countText', () => {
  it('groups thousands', () => {
    expect(countText(1234567)).toBe('1,234,567');
  });
});

describe('byteSize', () => {
  it('writes whole MB as such, a tenth when there is one, KB below 1 MB and bytes below 1 KB', () => {
    expect(byteSize(32 * 1048576)).toBe('32 MB');
    expect(byteSize(1048576)).toBe('1 MB');
    expect(byteSize(1.5 * 1048576)).toBe('1.5 MB');
    expect(byteSize(Math.round(0.4 * 1048576))).toBe('410 KB');
    expect(byteSize(1024)).toBe('1 KB');
    expect(byteSize(1000)).toBe('1000 bytes');
  });
});

describe('spanText', () => {
  it('says minutes below two hours, hours below two days, days beyond', () => {
    expect(spanText(20_000)).toBe('1 minute');
    expect(spanText(3 * 60_000)).toBe('3 minutes');
    expect(spanText(3 * 3_600_000)).toBe('3.0 hours');
    expect(spanText(3 * 86_400_000)).toBe('3.0 days');
  });
});

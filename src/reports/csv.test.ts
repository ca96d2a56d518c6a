import { describe, expect, it } from 'vitest';
import { csvField, csvLine } from './csv.js';

describe('CSV cells', () => {
  it('shows as text a cell a spreadsheet would run as a formula', () => {
    expect(csvField("@SUM(1+1)*cmd|'/C calc'!A0")).toBe("'@SUM(1+1)*cmd|'/C calc'!A0");
    expect(csvField('=HYPERLINK("http://x")')).toBe(`"'=HYPERLINK(""http://x"")"`);
    expect(csvField('+1+2')).toBe("'+1+2");
    expect(csvField('-2+3')).toBe("'-2+3");
    expect(csvField('\tx')).toBe("'\tx");
    expect(csvField('\rx')).toBe(`"'\rx"`);
  });

  it('leaves numbers and plain decimal amounts as they are, negative ones too', () => {
    expect(csvField(-0.5)).toBe('-0.5');
    expect(csvField('-0.5')).toBe('-0.5');
    expect(csvField('-12')).toBe('-12');
    expect(csvField(-3n)).toBe('-3');
    expect(csvField('0.000000000001')).toBe('0.000000000001');
  });

  it('leaves other text alone, quoting only what RFC 4180 needs', () => {
    expect(csvField('team=web')).toBe('team=web');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField(null)).toBe('');
    expect(csvField(undefined)).toBe('');
    expect(csvField(true)).toBe('true');
    expect(csvLine(['-', '-1', '=1', 'x'])).toBe("'-,-1,'=1,x\n");
  });
});

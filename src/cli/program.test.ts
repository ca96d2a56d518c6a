import { describe, expect, it } from 'vitest';
import type { Io } from './output.js';
import { VERSION } from '../core/version.js';
import { buildProgram, run } from './program.js';

function capture(): Io & { text: () => string } {
  let text = '';
  return { out: (t: string) => void (text += t), err: (t: string) => void (text += t), text: () => text };
}

describe('the tollgate program', () => {
  it('registers only the command being run, and every command otherwise', async () => {
    const names = (await buildProgram(capture())).commands.map((c) => c.name());
    expect(names).toEqual(expect.arrayContaining(['serve', 'keys', 'objects', 'report', 'cache-report', 'export', 'import', 'budgets', 'detect', 'explain', 'chargeback', 'check']));
    expect(names).toHaveLength(18);
    expect((await buildProgram(capture(), 'report')).commands.map((c) => c.name())).toEqual(['report']);
    expect((await buildProgram(capture(), 'reprt')).commands).toHaveLength(18);
    expect((await buildProgram(capture(), '--version')).commands).toHaveLength(0);
  });

  it('prints its version without loading any command', async () => {
    const io = capture();
    expect(await run(['--version'], io)).toBe(0);
    expect(io.text()).toBe(`${VERSION}\n`);
  });

  it('lists every command in its help, and suggests the command a typo meant', async () => {
    const help = capture();
    expect(await run(['--help'], help)).toBe(0);
    expect(help.text()).toContain('cache-report');
    expect(help.text()).toContain('chargeback');
    const typo = capture();
    expect(await run(['reprt'], typo)).toBe(2);
    expect(typo.text()).toMatch(/Did you mean report\?/);
  });

  it('answers a mistyped flag with its error and a pointer to the help, not the help itself', async () => {
    const bad = capture();
    expect(await run(['report', '--bogus'], bad)).toBe(2);
    expect(bad.text()).toBe("error: unknown option '--bogus'\n(add --help for the commands and options)\n");
  });
});

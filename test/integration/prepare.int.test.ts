import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const SCRIPT = join(process.cwd(), 'scripts', 'prepare.js');
const dir = mkdtempSync(join(tmpdir(), 'tollgate-prepare-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs scripts/prepare.js in `dir` with a stand-in npm that records each build; returns how many builds ran. */
function prepare(): number {
  execFileSync(process.execPath, [SCRIPT], { cwd: dir, env: { ...process.env, npm_execpath: join(dir, 'fake-npm.js') }, stdio: 'ignore' });
  return readFileSync(join(dir, 'builds.log'), 'utf8').length;
}

describe('npm install’s prepare step', () => {
  it('skips the build when nothing it is made from changed, though npm rewrote the lockfile unchanged', () => {
    mkdirSync(join(dir, 'src'));
    mkdirSync(join(dir, 'dist'));
    writeFileSync(join(dir, 'src', 'a.ts'), 'export const a = 1;\n');
    for (const f of ['package.json', 'tsconfig.json', 'tsconfig.build.json']) writeFileSync(join(dir, f), '{}\n');
    writeFileSync(join(dir, 'package-lock.json'), '{"lockfileVersion":3}\n');
    writeFileSync(join(dir, 'builds.log'), '');
    writeFileSync(join(dir, 'fake-npm.js'), `require('node:fs').appendFileSync(${JSON.stringify(join(dir, 'builds.log'))}, 'b');\n`);
    expect(prepare()).toBe(1);
    expect(prepare()).toBe(1);
    // What npm does before prepare: the lockfile written again, its bytes the same, its time newer.
    const later = new Date(Date.now() + 5000);
    utimesSync(join(dir, 'package-lock.json'), later, later);
    expect(prepare()).toBe(1);
    appendFileSync(join(dir, 'package-lock.json'), ' ');
    expect(prepare()).toBe(2);
    utimesSync(join(dir, 'src', 'a.ts'), new Date(Date.now() + 10_000), new Date(Date.now() + 10_000));
    expect(prepare()).toBe(3);
  });
});

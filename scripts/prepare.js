// npm runs `prepare` after every install, and npm 11's npx runs it again, silently, the first
// time `npx tollgate` links this package into its cache: a rebuild there doubled the wait of
// the quick start. So the build is skipped when dist/ is newer than everything it is made from.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const STAMP = 'dist/.built';
const INPUTS = ['src', 'package.json', 'tsconfig.json', 'tsconfig.build.json'];
// By content, not time: npm rewrites the lockfile, unchanged, just before it runs `prepare`.
const LOCK = 'package-lock.json';

function newest(path) {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let max = st.mtimeMs;
  for (const name of readdirSync(path)) max = Math.max(max, newest(join(path, name)));
  return max;
}

const lockHash = existsSync(LOCK) ? createHash('sha256').update(readFileSync(LOCK)).digest('hex') : '';
const built = existsSync(STAMP) ? statSync(STAMP).mtimeMs : -Infinity;
const builtLock = existsSync(STAMP) ? readFileSync(STAMP, 'utf8').trim() : undefined;
if (builtLock === lockHash && INPUTS.every((p) => !existsSync(p) || newest(p) <= built)) {
  console.log('tollgate: dist/ is current, build skipped');
} else {
  // The stamp gets the time the build started: a file edited meanwhile is newer, and rebuilds next time.
  const started = new Date();
  const npm = process.env.npm_execpath;
  if (npm) execFileSync(process.execPath, [npm, 'run', 'build'], { stdio: 'inherit' });
  else execFileSync('npm', ['run', 'build'], { stdio: 'inherit' });
  writeFileSync(STAMP, lockHash);
  utimesSync(STAMP, started, started);
}

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const DOC = join(import.meta.dirname, '..', 'docs', 'benchmarks.md');
const begin = (name: string) => `<!-- ${name} benchmark start -->`;
const end = (name: string) => `<!-- ${name} benchmark end -->`;

/** Replaces (or appends) the section of docs/benchmarks.md between `<!-- NAME benchmark start -->` and `<!-- NAME benchmark end -->`. */
export function writeMarkedSection(name: string, body: string): void {
  let doc = readFileSync(DOC, 'utf8');
  const section = `${begin(name)}\n${body.trim()}\n${end(name)}`;
  const a = doc.indexOf(begin(name));
  const b = doc.indexOf(end(name));
  doc = a >= 0 && b > a ? doc.slice(0, a) + section + doc.slice(b + end(name).length) : `${doc.trimEnd()}\n\n${section}\n`;
  writeFileSync(DOC, doc);
}

/** Every marked section of a docs/benchmarks.md, for `npm run bench` to carry over when it rewrites the file. */
export function markedSections(doc: string): string {
  const out: string[] = [];
  for (const m of doc.matchAll(/<!-- ([\w-]+) benchmark start -->[\s\S]*?<!-- \1 benchmark end -->/g)) out.push(m[0]);
  return out.length ? `\n${out.join('\n\n')}\n` : '';
}

import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { ConfigError, loadConfig } from './index.js';
import { configFile } from './testing.js';

// A config file edited by hand goes wrong in every way: a value of the wrong type anywhere, a
// setting deleted, one misspelt. Starting from the full example in docs/configuration.md, any
// such edits load, or are refused with a ConfigError whose every issue names the setting (or
// its line) and says what is wrong; never another error, never a stack trace.

const doc = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
const EXAMPLE = /```yaml\n([\s\S]*?)```/.exec(doc)![1]!;
const ENV = { OPENAI_API_KEY: 'sk-a', ANTHROPIC_API_KEY: 'sk-ant-b', ANTHROPIC_KEY_B: 'sk-ant-c', SLACK_WEBHOOK_URL: 'https://hooks.example.com/x', TOLLGATE_SIGNING_SECRET: 's'.repeat(32) };

type Tree = Record<string, unknown> | unknown[];
type Path = (string | number)[];

/** Every place in the tree a value sits (or could), deepest first after its parent. */
function pathsOf(v: unknown, at: Path = []): Path[] {
  if (typeof v !== 'object' || v === null) return [at];
  const keys = Array.isArray(v) ? v.map((_, i) => i) : Object.keys(v);
  return [at, ...keys.flatMap((k) => pathsOf((v as Record<string | number, unknown>)[k], [...at, k]))];
}

const odd = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, 1.5, 1e21, '', 'x', '*', '${UNSET_VAR}', 'https://', '127.0.0.1:99999', 'day', 'gpt-*', [], {}),
  fc.jsonValue({ maxDepth: 2 }),
  fc.string({ maxLength: 30 }),
);
const edit = fc.record({ where: fc.nat(), op: fc.constantFrom('replace', 'replace', 'delete', 'add'), key: fc.oneof(fc.constantFrom('nmae', 'limit', 'windw', 'mode', 'api_key'), fc.string({ maxLength: 12 })), value: odd });

function apply(tree: Tree, e: { where: number; op: string; key: string; value: unknown }): void {
  const paths = pathsOf(tree).filter((p) => p.length > 0);
  const path = paths[e.where % paths.length]!;
  const parent = path.slice(0, -1).reduce<unknown>((node, k) => (node as Record<string | number, unknown>)[k], tree) as Record<string | number, unknown> | unknown[];
  const last = path[path.length - 1]!;
  if (e.op === 'replace') (parent as Record<string | number, unknown>)[last] = e.value;
  else if (e.op === 'delete') {
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete parent[last];
  } else {
    const node = (parent as Record<string | number, unknown>)[last];
    if (Array.isArray(node)) node.push(e.value);
    else if (typeof node === 'object' && node !== null) (node as Record<string, unknown>)[e.key] = e.value;
    else (parent as Record<string | number, unknown>)[last] = e.value;
  }
}

describe('a hand-edited config', () => {
  it('starts from a documented example that loads', () => {
    expect(() => loadConfig({ file: configFile(EXAMPLE), env: ENV })).not.toThrow();
  });

  it('loads, or is refused with every problem named, whatever the edits', { timeout: 60_000 }, () => {
    let refused = 0;
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 3 }), (edits) => {
        const tree = parse(EXAMPLE) as Tree;
        for (const e of edits) apply(tree, e);
        try {
          loadConfig({ file: configFile(stringify(tree)), env: ENV });
        } catch (err) {
          if (!(err instanceof ConfigError)) throw err;
          refused++;
          for (const i of err.issues) {
            expect(i.message.length, err.message).toBeGreaterThan(5);
            expect(i.path !== '' || i.line !== undefined, err.message).toBe(true);
          }
        }
      }),
      { seed: 20261205, numRuns: 250 },
    );
    // Most edits break something; some are harmless (a comment-free rewrite of a valid value).
    expect(refused).toBeGreaterThan(60);
  });
});

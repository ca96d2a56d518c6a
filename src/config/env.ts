import { type Document, type Scalar, isMap, isScalar, isSeq } from 'yaml';
import type { z } from 'zod';
import { type ConfigIssue, formatPath } from './errors.js';

type LineOf = (offset: number | undefined) => number | undefined;

/**
 * Replaces ${VAR} and ${VAR:-default} in every string scalar, recording unset variables with
 * their line. Returns the scalars it changed, which `retypeExpanded` may read as numbers or booleans.
 */
export function expandEnv(doc: Document, env: NodeJS.ProcessEnv, lineOf: LineOf, issues: ConfigIssue[]): Set<Scalar> {
  const expanded = new Set<Scalar>();
  // `api_key: ${KEY:-}` with KEY unset: the setting is left out, as if the line were not there.
  const emptied: (string | number)[][] = [];
  const walk = (node: unknown, path: (string | number)[]) => {
    if (isMap(node)) for (const pair of node.items) walk(pair.value, [...path, isScalar(pair.key) ? String(pair.key.value) : '?']);
    else if (isSeq(node)) node.items.forEach((item, i) => walk(item, [...path, i]));
    else if (isScalar(node) && typeof node.value === 'string' && node.value.includes('${')) {
      expanded.add(node);
      node.value = node.value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (whole, name: string, fallback: string | undefined) => {
        const v = env[name];
        if (v !== undefined && v !== '') return v;
        if (fallback !== undefined) return fallback;
        issues.push({ path: formatPath(path), line: lineOf(node.range?.[0]), message: `environment variable ${name} is not set (use \${${name}:-default} for a fallback)` });
        // Keep the placeholder so the setting is not reported a second time as empty.
        return whole;
      });
      if (node.value === '' && typeof path.at(-1) === 'string') emptied.push(path);
    }
  };
  walk(doc.contents, []);
  for (const path of emptied) doc.deleteIn(path);
  return expanded;
}

/**
 * An environment variable is text, so `port: ${PORT}` reads as the string "9000". Where the
 * schema wanted a number or a boolean and the expanded text is one, it becomes one; returns
 * whether any did (the file is then validated again).
 */
export function retypeExpanded(doc: Document, issues: readonly z.core.$ZodIssue[], expanded: ReadonlySet<Scalar>): boolean {
  let changed = false;
  for (const issue of issues) {
    if (issue.code !== 'invalid_type') continue;
    const node = doc.getIn(issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p)), true);
    if (!isScalar(node) || !expanded.has(node) || typeof node.value !== 'string') continue;
    const text = node.value.trim();
    if ((issue.expected === 'number' || issue.expected === 'int') && /^-?\d+(\.\d+)?$/.test(text)) node.value = Number(text);
    else if (issue.expected === 'boolean' && (text === 'true' || text === 'false')) node.value = text === 'true';
    else continue;
    changed = true;
  }
  return changed;
}

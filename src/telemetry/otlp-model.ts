/**
 * OTLP requests flattened into the items Tollgate maps: one log record, span or number data
 * point each, with its resource's and scope's attributes beside it. Both wire encodings
 * (JSON, and protobuf decoded to the same camelCase tree) are read by `flatten*` here.
 */
export type AttrValue = string | number | boolean | null | AttrValue[] | { [key: string]: AttrValue };
export type Attrs = Record<string, AttrValue>;

export type Signal = 'logs' | 'metrics' | 'traces';
export type Encoding = 'json' | 'protobuf';

interface Item {
  /** Shared by every item of one resource: never mutate. */
  resource: Attrs;
  scope: string;
  attrs: Attrs;
}

export interface LogItem extends Item {
  eventName: string;
  timeNanos: bigint;
  observedNanos: bigint;
  body: AttrValue;
  traceId: string;
  spanId: string;
}

export interface SpanItem extends Item {
  traceId: string;
  spanId: string;
  name: string;
  kind: number;
  startNanos: bigint;
  endNanos: bigint;
  /** 0 unset, 1 ok, 2 error. */
  statusCode: number;
  statusMessage: string;
}

export interface PointItem extends Item {
  metric: string;
  unit: string;
  kind: 'sum' | 'gauge';
  /** 1 delta, 2 cumulative (sums only). */
  temporality: number;
  startNanos: bigint;
  timeNanos: bigint;
  value: number;
}

/** A body that decodes but is not an OTLP request of the expected shape. */
export class BadRequestError extends Error {}

type Tree = Record<string, unknown>;

function list(parent: Tree, key: string, where: string): Tree[] {
  const v = parent[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new BadRequestError(`${where}.${key} must be an array`);
  return v.map((x, i) => {
    if (typeof x !== 'object' || x === null || Array.isArray(x)) throw new BadRequestError(`${where}.${key}[${i}] must be an object`);
    return x as Tree;
  });
}

function child(parent: Tree, key: string): Tree | undefined {
  const v = parent[key];
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Tree) : undefined;
}

function text(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** A number from a JSON number or decimal text (int64 fields are text in OTLP/JSON); 0 otherwise. */
function num(v: unknown): number {
  const n = typeof v === 'string' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) ? n : 0;
}

/** An int or double attribute's value, or null when it is not a number: not 0, which would read as a count sent. */
function numberValue(v: unknown): number | null {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) ? n : null;
}

const MAX_UINT64 = 2n ** 64n - 1n;

/** A fixed64 time: digits beyond 64 bits (JSON allows them, protobuf cannot carry them) read as unset. */
function nanos(v: unknown): bigint {
  if (typeof v === 'string' && /^\d{1,20}$/.test(v)) {
    const n = BigInt(v);
    return n <= MAX_UINT64 ? n : 0n;
  }
  // A JSON number of nanoseconds has lost precision in JSON.parse, but deterministically.
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return BigInt(Math.trunc(v));
  return 0n;
}

/** Trace and span ids: hex in OTLP/JSON, base64 once protobuf bytes are turned into a tree. */
function id(v: unknown, enc: Encoding): string {
  if (typeof v !== 'string' || v === '') return '';
  return enc === 'json' ? v.toLowerCase() : Buffer.from(v, 'base64').toString('hex');
}

/**
 * Values nested deeper than this read as null. No attribute Tollgate reads is nested at all,
 * and a deeper value (valid OTLP) would otherwise overflow the stack and fail the whole batch.
 */
const MAX_VALUE_DEPTH = 32;

export function anyValue(v: unknown, enc: Encoding, depth = 0): AttrValue {
  if (typeof v !== 'object' || v === null) return null;
  const o = v as Tree;
  if ('stringValue' in o) return text(o.stringValue);
  if ('boolValue' in o) return o.boolValue === true;
  if ('intValue' in o) return numberValue(o.intValue);
  if ('doubleValue' in o) return numberValue(o.doubleValue);
  if (depth >= MAX_VALUE_DEPTH) return null;
  if ('arrayValue' in o) return list(child(o, 'arrayValue') ?? {}, 'values', 'arrayValue').map((x) => anyValue(x, enc, depth + 1));
  if ('kvlistValue' in o) return attributes(list(child(o, 'kvlistValue') ?? {}, 'values', 'kvlistValue'), enc, depth + 1);
  // base64 in both encodings (protobuf bytes are turned into base64 text when decoded).
  if ('bytesValue' in o) return text(o.bytesValue);
  return null;
}

function attributes(kvs: Tree[], enc: Encoding, depth = 0): Attrs {
  const out: Attrs = {};
  for (const kv of kvs) {
    const key = text(kv.key);
    if (key) out[key] = anyValue(kv.value, enc, depth);
  }
  return out;
}

function attrsOf(parent: Tree | undefined, where: string, enc: Encoding): Attrs {
  return parent ? attributes(list(parent, 'attributes', where), enc) : {};
}

function eachScope<T>(tree: Tree, outer: string, inner: string, items: string, enc: Encoding, make: (item: Tree, resource: Attrs, scope: string, where: string) => T): T[] {
  const out: T[] = [];
  list(tree, outer, 'request').forEach((r, i) => {
    const resource = attrsOf(child(r, 'resource'), `${outer}[${i}].resource`, enc);
    list(r, inner, `${outer}[${i}]`).forEach((s, j) => {
      const scope = text(child(s, 'scope')?.name);
      const where = `${outer}[${i}].${inner}[${j}]`;
      list(s, items, where).forEach((item, k) => out.push(make(item, resource, scope, `${where}.${items}[${k}]`)));
    });
  });
  return out;
}

export function flattenLogs(tree: Tree, enc: Encoding): LogItem[] {
  return eachScope(tree, 'resourceLogs', 'scopeLogs', 'logRecords', enc, (r, resource, scope, where) => ({
    resource,
    scope,
    attrs: attrsOf(r, where, enc),
    eventName: text(r.eventName),
    timeNanos: nanos(r.timeUnixNano),
    observedNanos: nanos(r.observedTimeUnixNano),
    body: anyValue(r.body, enc),
    traceId: id(r.traceId, enc),
    spanId: id(r.spanId, enc),
  }));
}

export function flattenSpans(tree: Tree, enc: Encoding): SpanItem[] {
  return eachScope(tree, 'resourceSpans', 'scopeSpans', 'spans', enc, (s, resource, scope, where) => {
    const status = child(s, 'status');
    return {
      resource,
      scope,
      attrs: attrsOf(s, where, enc),
      traceId: id(s.traceId, enc),
      spanId: id(s.spanId, enc),
      name: text(s.name),
      kind: num(s.kind),
      startNanos: nanos(s.startTimeUnixNano),
      endNanos: nanos(s.endTimeUnixNano),
      statusCode: num(status?.code),
      statusMessage: text(status?.message),
    };
  });
}

/** Sums and gauges only: the usage Tollgate reads is never a histogram. */
export function flattenPoints(tree: Tree, enc: Encoding): PointItem[] {
  const metrics = eachScope(tree, 'resourceMetrics', 'scopeMetrics', 'metrics', enc, (m, resource, scope, where) => ({ m, resource, scope, where }));
  const out: PointItem[] = [];
  for (const { m, resource, scope, where } of metrics) {
    const sum = child(m, 'sum');
    const gauge = child(m, 'gauge');
    const data = sum ?? gauge;
    if (!data) continue;
    for (const [k, p] of list(data, 'dataPoints', where).entries()) {
      out.push({
        resource,
        scope,
        attrs: attrsOf(p, `${where}.dataPoints[${k}]`, enc),
        metric: text(m.name),
        unit: text(m.unit),
        kind: sum ? 'sum' : 'gauge',
        temporality: sum ? num(sum.aggregationTemporality) : 0,
        startNanos: nanos(p.startTimeUnixNano),
        timeNanos: nanos(p.timeUnixNano),
        value: 'asDouble' in p ? num(p.asDouble) : num(p.asInt),
      });
    }
  }
  return out;
}

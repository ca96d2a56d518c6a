import { createHash } from 'node:crypto';
import { VERSION } from '../core/version.js';
import { FOCUS_COLUMNS, type FocusColumn } from './columns.js';
import { TAG_PREFIX } from './tags.js';

/** The FOCUS version the dataset follows. */
export const FOCUS_VERSION = '1.2';

/** One column's definition in FOCUS's schema metadata. */
type ColumnDefinition = { ColumnName: string; DataType: string } & Record<string, string | number | string[]>;

function definition(c: FocusColumn): ColumnDefinition {
  switch (c.type) {
    // Exact to the picodollar: Parquet's DECIMAL(38,12), and as many places at most in CSV.
    case 'decimal':
      return { ColumnName: c.name, DataType: 'DECIMAL', NumericPrecision: 38, NumberScale: 12 };
    case 'quantity':
      return { ColumnName: c.name, DataType: 'DECIMAL', NumericPrecision: 18, NumberScale: 0 };
    case 'datetime':
      return { ColumnName: c.name, DataType: 'DATETIME' };
    case 'json':
      return c.name === 'Tags' ? { ColumnName: c.name, DataType: 'JSON', ProviderTagPrefixes: [TAG_PREFIX] } : { ColumnName: c.name, DataType: 'JSON' };
    case 'string':
      return { ColumnName: c.name, DataType: 'STRING', StringEncoding: 'UTF-8' };
  }
}

export interface FocusArtifact {
  /** The dataset's file name as it will be looked up beside the metadata. */
  filepath: string;
  total_bytes: number;
  total_rows: number;
}

/** The schema's id: a hash of its columns, so it changes exactly when the columns do. */
function schemaIdOf(columns: readonly ColumnDefinition[]): string {
  return `tollgate-focus-${FOCUS_VERSION}-${createHash('sha256').update(JSON.stringify(columns)).digest('hex').slice(0, 16)}`;
}

/**
 * FOCUS's metadata for a Cost and Usage dataset Tollgate wrote: the data generator, the schema
 * (FOCUS requires it for every dataset, retrievable apart from it) and the artifacts it describes
 * (none for a dataset written to stdout).
 */
export function focusMetadata(createdAt: Date, artifacts: readonly FocusArtifact[]): Record<string, unknown> {
  const columns = FOCUS_COLUMNS.map(definition);
  return {
    DataGenerator: 'Tollgate',
    DataGeneratorVersion: VERSION,
    FocusDataset: 'CostAndUsage',
    SchemaId: schemaIdOf(columns),
    FocusVersion: FOCUS_VERSION,
    CreationDate: createdAt.toISOString(),
    ColumnDefinition: columns,
    ...(artifacts.length > 0 ? { data_location: artifacts } : {}),
  };
}

/**
 * The artifacts the metadata written for `artifact` lists: those the metadata file held before
 * (`previous`, its text) that are still there as they were (`sizeOf`: a file's bytes beside the
 * new one, undefined when gone), with `artifact` in place of its own earlier entry or after them.
 * A CSV and a Parquet export of one name share `NAME.metadata.json`, and the second replaced the
 * first's entry, leaving a file without its metadata. An earlier entry is kept only under the
 * same schema (the same columns), and only while its file has the bytes it recorded.
 */
export function artifactsWith(artifact: FocusArtifact, previous: string | undefined, sizeOf: (filepath: string) => number | undefined): FocusArtifact[] {
  let before: unknown;
  try {
    before = previous === undefined ? undefined : JSON.parse(previous);
  } catch {
    return [artifact];
  }
  const m = before as { DataGenerator?: unknown; SchemaId?: unknown; data_location?: unknown } | undefined;
  if (m?.DataGenerator !== 'Tollgate' || m.SchemaId !== schemaIdOf(FOCUS_COLUMNS.map(definition)) || !Array.isArray(m.data_location)) return [artifact];
  const kept = (m.data_location as unknown[]).filter(isArtifact).filter((a) => a.filepath === artifact.filepath || sizeOf(a.filepath) === a.total_bytes);
  const at = kept.findIndex((a) => a.filepath === artifact.filepath);
  return at < 0 ? [...kept, artifact] : kept.map((a, i) => (i === at ? artifact : a));
}

const count = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** An entry as `export` writes one: a file name alone (no folder), its bytes and rows. */
function isArtifact(v: unknown): v is FocusArtifact {
  const a = v as Partial<FocusArtifact> | null;
  return typeof a === 'object' && a !== null && typeof a.filepath === 'string' && /^[^/\\]+$/.test(a.filepath) && count(a.total_bytes) && count(a.total_rows);
}

/** Where the metadata of a dataset written to `file` goes: beside it, `out.csv` → `out.metadata.json`. */
export function metadataPathFor(file: string): string {
  return file.replace(/\.(csv|parquet)$/i, '') + '.metadata.json';
}

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

/**
 * FOCUS's metadata for a Cost and Usage dataset Tollgate wrote: the data generator, the schema
 * (FOCUS requires it for every dataset, retrievable apart from it) and the artifact it describes.
 * The schema's id is a hash of its columns, so it changes exactly when the columns do.
 */
export function focusMetadata(createdAt: Date, artifact: FocusArtifact | undefined): Record<string, unknown> {
  const columns = FOCUS_COLUMNS.map(definition);
  const schemaId = `tollgate-focus-${FOCUS_VERSION}-${createHash('sha256').update(JSON.stringify(columns)).digest('hex').slice(0, 16)}`;
  return {
    DataGenerator: 'Tollgate',
    DataGeneratorVersion: VERSION,
    FocusDataset: 'CostAndUsage',
    SchemaId: schemaId,
    FocusVersion: FOCUS_VERSION,
    CreationDate: createdAt.toISOString(),
    ColumnDefinition: columns,
    ...(artifact ? { data_location: [artifact] } : {}),
  };
}

/** Where the metadata of a dataset written to `file` goes: beside it, `out.csv` → `out.metadata.json`. */
export function metadataPathFor(file: string): string {
  return file.replace(/\.(csv|parquet)$/i, '') + '.metadata.json';
}

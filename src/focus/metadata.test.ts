import { describe, expect, it } from 'vitest';
import { FOCUS_COLUMNS } from './columns.js';
import { artifactsWith, focusMetadata, metadataPathFor } from './metadata.js';

describe('FOCUS schema metadata', () => {
  const at = new Date(Date.UTC(2026, 11, 7, 12));
  const m = focusMetadata(at, [{ filepath: 'focus.csv', total_bytes: 1234, total_rows: 5 }]) as { ColumnDefinition: Record<string, unknown>[] } & Record<string, unknown>;

  it('names the generator, the FOCUS version, the dataset and the artifact it describes', () => {
    expect(m).toMatchObject({ DataGenerator: 'Tollgate', FocusVersion: '1.2', FocusDataset: 'CostAndUsage', CreationDate: '2026-12-07T12:00:00.000Z', data_location: [{ filepath: 'focus.csv', total_bytes: 1234, total_rows: 5 }] });
    expect(m.SchemaId).toMatch(/^tollgate-focus-1\.2-[0-9a-f]{16}$/);
    expect(focusMetadata(new Date(0), [])).not.toHaveProperty('data_location');
  });

  it('defines every column written, in order, money exact to the picodollar and the prefix of Tollgate s own tags', () => {
    expect(m.ColumnDefinition.map((c) => c.ColumnName)).toEqual(FOCUS_COLUMNS.map((c) => c.name));
    const byName = new Map(m.ColumnDefinition.map((c) => [c.ColumnName, c]));
    expect(byName.get('BilledCost')).toEqual({ ColumnName: 'BilledCost', DataType: 'DECIMAL', NumericPrecision: 38, NumberScale: 12 });
    expect(byName.get('ConsumedQuantity')).toMatchObject({ DataType: 'DECIMAL', NumberScale: 0 });
    expect(byName.get('ChargePeriodStart')).toEqual({ ColumnName: 'ChargePeriodStart', DataType: 'DATETIME' });
    expect(byName.get('Tags')).toEqual({ ColumnName: 'Tags', DataType: 'JSON', ProviderTagPrefixes: ['tollgate/'] });
    expect(byName.get('x_Model')).toEqual({ ColumnName: 'x_Model', DataType: 'STRING', StringEncoding: 'UTF-8' });
  });

  it('keeps one schema id while the columns stay the same', () => {
    expect(focusMetadata(new Date(0), []).SchemaId).toBe(m.SchemaId);
  });

  it('goes beside the dataset', () => {
    expect(metadataPathFor('/x/focus.csv')).toBe('/x/focus.metadata.json');
    expect(metadataPathFor('out.PARQUET')).toBe('out.metadata.json');
    expect(metadataPathFor('out')).toBe('out.metadata.json');
  });

  describe('written again where it is', () => {
    const csv = { filepath: 'focus.csv', total_bytes: 1234, total_rows: 5 };
    const parquet = { filepath: 'focus.parquet', total_bytes: 900, total_rows: 5 };
    const sizes: Record<string, number> = { 'focus.csv': 1234, 'focus.parquet': 900 };
    const sizeOf = (name: string) => sizes[name];
    const text = (...artifacts: (typeof csv)[]) => JSON.stringify(focusMetadata(at, artifacts));

    it('keeps the other format of the same name listed: a Parquet export beside the CSV does not drop it', () => {
      expect(artifactsWith(parquet, text(csv), sizeOf)).toEqual([csv, parquet]);
      // The CSV written again replaces its own entry, in its place.
      const again = { ...csv, total_bytes: 1300, total_rows: 6 };
      expect(artifactsWith(again, text(csv, parquet), (n) => (n === 'focus.csv' ? 1300 : sizeOf(n)))).toEqual([again, parquet]);
    });

    it('drops an entry whose file is gone or no longer the one described, another schema, or what is not its metadata', () => {
      expect(artifactsWith(parquet, text(csv), () => undefined)).toEqual([parquet]);
      expect(artifactsWith(parquet, text(csv), () => 99)).toEqual([parquet]);
      expect(artifactsWith(parquet, JSON.stringify({ ...JSON.parse(text(csv)), SchemaId: 'tollgate-focus-1.1-0' }), sizeOf)).toEqual([parquet]);
      expect(artifactsWith(parquet, text({ ...csv, filepath: '../elsewhere/focus.csv' }), () => 1234)).toEqual([parquet]);
      for (const other of [undefined, '', 'not json', '[]', 'null', JSON.stringify({ data_location: [csv] })]) expect(artifactsWith(parquet, other, sizeOf)).toEqual([parquet]);
    });
  });
});

import { schemaV1, schemaV2, schemaV3, schemaV4, schemaV5, schemaV6, schemaV7, schemaV8, schemaV9, schemaV13, schemaV16, schemaV18, schemaV21, schemaV22, schemaV24, schemaV25, schemaV28, schemaV29, schemaV30, schemaV34, schemaV35, type TypeMap } from './ddl.js';
import { schemaV14, schemaV15, schemaV26 } from './rollup-ddl.js';
import { schemaV19, schemaV20, schemaV23, schemaV27 } from './anomaly-ddl.js';
import { schemaV31, schemaV32, schemaV33 } from './object-owners.js';

/** Ordered migrations; each entry's statements run in one transaction. */
export function migrations(t: TypeMap): { version: number; statements: string[] }[] {
  return [
    { version: 1, statements: schemaV1(t) },
    { version: 2, statements: schemaV2(t) },
    { version: 3, statements: schemaV3(t) },
    { version: 4, statements: schemaV4(t) },
    { version: 5, statements: schemaV5() },
    { version: 6, statements: schemaV6(t) },
    { version: 7, statements: schemaV7(t) },
    { version: 8, statements: schemaV8(t) },
    { version: 9, statements: schemaV9(t) },
    { version: 13, statements: schemaV13() },
    { version: 14, statements: schemaV14(t) },
    { version: 15, statements: schemaV15(t) },
    { version: 16, statements: schemaV16(t) },
    { version: 18, statements: schemaV18() },
    { version: 19, statements: schemaV19(t) },
    { version: 20, statements: schemaV20(t) },
    { version: 21, statements: schemaV21() },
    { version: 22, statements: schemaV22() },
    { version: 23, statements: schemaV23(t) },
    { version: 24, statements: schemaV24(t) },
    { version: 25, statements: schemaV25(t) },
    { version: 26, statements: schemaV26(t) },
    { version: 27, statements: schemaV27(t) },
    { version: 28, statements: schemaV28(t) },
    { version: 29, statements: schemaV29() },
    { version: 30, statements: schemaV30(t) },
    { version: 31, statements: schemaV31(t) },
    { version: 32, statements: schemaV32() },
    { version: 33, statements: schemaV33(t) },
    { version: 34, statements: schemaV34() },
    { version: 35, statements: schemaV35() },
  ];
}

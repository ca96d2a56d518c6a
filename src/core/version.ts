/** Tollgate's version (package.json's; a test keeps the two equal): `--version`, and the FOCUS metadata's DataGeneratorVersion. */
export const VERSION = '0.1.0';

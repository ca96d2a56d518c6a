import { writeFileSync } from 'node:fs';
import { findProvider } from '@pydantic/genai-prices';
import { SNAPSHOT_FILE, installedCatalogVersion, takeSnapshot } from './snapshot.js';

// Run by `npm run build` after tsc: writes the importer's catalog snapshot (snapshot.ts)
// beside the compiled modules, from the installed `@pydantic/genai-prices`.
const snapshot = takeSnapshot(
  (id) => findProvider({ providerId: id }),
  (url) => findProvider({ providerApiUrl: url }),
  installedCatalogVersion(),
);
writeFileSync(new URL(SNAPSHOT_FILE, import.meta.url), JSON.stringify(snapshot));

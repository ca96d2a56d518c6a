import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// Three projects: unit tests live next to the code; integration tests (real SQLite,
// Postgres, Redis, fake upstreams, official SDKs) are *.int.test.ts; end-to-end tests
// drive the built CLI from test/e2e.
/** Unit tests that replace a module with vi.mock: each needs a module graph of its own. */
const MOCKING_UNIT_TESTS = ['src/telemetry/sender.test.ts', 'src/metering/spool-full-disk.test.ts'];

export default defineConfig({
  test: {
    // At least two files at a time: most integration and end-to-end tests wait on sockets, child
    // processes and servers, so two run side by side even on two cores. Vitest's default there
    // (cores - 1) ran one: the whole suite took 454 s against 326 s with two (2026-12-04).
    maxWorkers: Math.max(2, availableParallelism() - 1),
    globalSetup: ['test/support/temp-dir.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts'],
          exclude: ['src/**/*.int.test.ts', ...MOCKING_UNIT_TESTS],
          // Unit files share a worker's modules rather than each loading its own: the project took
          // 94 s against 25 s (2026-12-07). Files that replace a module with vi.mock run apart.
          isolate: false,
          // A few property and catalog tests take seconds; a shared, loaded machine can triple that.
          testTimeout: 15_000,
        },
      },
      {
        test: {
          name: 'unit-mocks',
          include: MOCKING_UNIT_TESTS,
          testTimeout: 15_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['src/**/*.int.test.ts', 'test/**/*.int.test.ts'],
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});

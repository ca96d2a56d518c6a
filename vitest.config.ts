import { defineConfig } from 'vitest/config';

// Three projects: unit tests live next to the code; integration tests (real SQLite,
// Postgres, Redis, fake upstreams, official SDKs) are *.int.test.ts; end-to-end tests
// drive the built CLI from test/e2e.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts'],
          exclude: ['src/**/*.int.test.ts'],
          // A few property and catalog tests take seconds; a shared, loaded machine can triple that.
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

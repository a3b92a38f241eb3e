import { defineConfig } from 'vitest/config';

const conditions = ['source', 'module', 'node', 'import', 'default'];

// Tests run the TypeScript sources directly: the `source` export condition of every
// workspace package points at src/index.ts, so no build is needed before `vitest`.
export default defineConfig({
  resolve: { conditions: conditions },
  ssr: { resolve: { conditions: conditions, externalConditions: ['source'] } },
  test: {
    include: ['libs/*/src/**/*.test.ts', 'services/*/src/**/*.test.ts', 'test/src/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default', ['json', { outputFile: '.vitest-results.json' }]],
    allowOnly: false,
  },
});

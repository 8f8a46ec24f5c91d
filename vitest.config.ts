import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/integration/**', 'node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // bins spawned by tests run the TypeScript sources (bin/load.mjs), not a possibly stale dist/
    env: { GITOPS_CANARY_FROM_SOURCE: '1' },
  },
});

import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/integration/**', 'node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // One process runs the files one after another, each file's modules loaded once for
    // all: a fresh process per file cost ~0.9 s each (190 files) on a 2-core machine.
    // Tests restore what they change (env stubs, spies) in their own hooks.
    isolate: false,
    // dist/ built when stale, for the tests that start the bot as `npm start` does
    globalSetup: ['test/build-once.ts'],
    // bins spawned by tests run the TypeScript sources (bin/load.mjs), not a possibly stale dist/
    env: { GITOPS_CANARY_FROM_SOURCE: '1' },
  },
});

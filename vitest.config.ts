import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/integration/**', 'node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // At least two processes, each running files one after another: much of a test's time
    // is spent in the git processes and servers it starts, so on a 2-core machine, where
    // vitest would run one, two took the suite from 10.7 to 7.0 minutes.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    // A process runs its files one after another, each file's modules loaded once for
    // all: a fresh process per file cost ~0.9 s each (190 files) on a 2-core machine.
    // Tests restore what they change (env stubs, spies) in their own hooks.
    isolate: false,
    // dist/ built when stale, for the tests that start the bot or a bin as installed (from
    // dist/, ~0.3 s to start against ~1.2 s for the sources through tsx)
    globalSetup: ['test/build-once.ts'],
  },
});

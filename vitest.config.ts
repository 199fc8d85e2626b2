import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Timing tests run on their own afterwards (test/timing/vitest.config.ts): other files would share their 2 cores.
    exclude: [...configDefaults.exclude, 'test/timing/**'],
    globalSetup: ['test/support/global-setup.ts'],
    // Child processes, not threads: tests start servers and send signals; two keep a 2-core
    // machine busy without running out of memory.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 20_000,
    hookTimeout: 60_000, // beforeAll may migrate a fresh database
    teardownTimeout: 30_000,
  },
});

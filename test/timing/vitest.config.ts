import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import base from '../../vitest.config.js';

// The normal configuration with only the timing tests, one file at a time: a bar measured in
// time holds only when nothing else competes for the machine's two cores. `npm test` runs it last.
export default defineConfig({
  ...base,
  root: fileURLToPath(new URL('../../', import.meta.url)),
  test: { ...base.test, include: ['test/timing/*.test.ts'], exclude: [], maxWorkers: 1 },
});

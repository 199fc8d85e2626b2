import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import base from '../../../vitest.config.js';

// The normal configuration (same globalSetup, pool, timeouts) with only the canaries included:
// files that must fail, run by exit-code.check.mjs. They are *.canary.ts so `npm test` never sees them.
export default defineConfig({
  ...base,
  root: fileURLToPath(new URL('../../../', import.meta.url)),
  test: { ...base.test, include: ['test/support/canary/*.canary.ts'] },
});

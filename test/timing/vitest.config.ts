import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import base from '../../vitest.config.js';

// The normal configuration with only the timing tests, one file at a time: a bar measured in
// time holds only when nothing else competes for the machine's two cores. `npm test` runs it last,
// the sync bound first in a process of its own: it sits at 1.12-1.15x of its 1.15x bar here (the rate
// limiter counts each window from the answers, one latency + 10 ms later than the bound assumes), and
// after the HTTP/2 floods of hostile-http2 it measured 1.17-1.20x.
export default defineConfig({
  ...base,
  root: fileURLToPath(new URL('../../', import.meta.url)),
  test: { ...base.test, include: ['test/timing/*.test.ts'], exclude: [], maxWorkers: 1 },
});

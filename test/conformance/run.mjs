#!/usr/bin/env node
// Runs the Connect conformance suite against test/conformance/server.ts (the unary handler in front of
// connect-node) and, when it passes, records the @connectrpc/connect version it ran on in
// test/conformance/connect-version (checked by test/conformance/connect-version.test.ts).
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const result = spawnSync(
  join(root, '.tools', 'bin', 'connectconformance'),
  ['--mode', 'server', '--conf', join(here, 'config.yaml'), '--known-failing', `@${join(here, 'known-failing.txt')}`, '--known-flaky', `@${join(here, 'known-flaky.txt')}`, '--',
    join(root, 'node_modules', '.bin', 'tsx'), join(here, 'server.ts')],
  { stdio: 'inherit', cwd: root },
);
if (result.status !== 0) process.exit(result.status ?? 1);
const { version } = JSON.parse(readFileSync(join(root, 'node_modules', '@connectrpc', 'connect', 'package.json'), 'utf8'));
writeFileSync(join(here, 'connect-version'), `${version}\n`);
console.log(`conformance passed on @connectrpc/connect ${version} (recorded in test/conformance/connect-version)`);

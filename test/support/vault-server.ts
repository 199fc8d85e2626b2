import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, isPortFree } from './free-port.js';
import { vaultRequest } from './vault-http.js';

/** The transit mount and key the service uses by default (VAULT_TRANSIT_MOUNT / VAULT_TRANSIT_KEY). */
export const TRANSIT_MOUNT = 'transit';
/** See TRANSIT_MOUNT. */
export const TRANSIT_KEY = 'wallet-credentials';

/** The least the service needs: encrypt (creating the derived key on first use) and decrypt. */
const SERVICE_POLICY = `
path "${TRANSIT_MOUNT}/encrypt/${TRANSIT_KEY}" { capabilities = ["create", "update"] }
path "${TRANSIT_MOUNT}/decrypt/${TRANSIT_KEY}" { capabilities = ["update"] }
`;

/** A running in-memory OpenBao dev server with transit enabled. */
export interface VaultServer {
  addr: string;
  rootToken: string;
  /** Token with SERVICE_POLICY only (no default policy): what the service gets in tests. */
  restrictedToken: string;
  /** For SIGSTOP/SIGCONT: unreachable without losing the in-memory keys. */
  pid: number;
  stop(): Promise<void>;
}

/**
 * Starts a real Vault-API server (`bao server -dev`) on a free port. Cheap (~0.2 s), so a test
 * file that pauses Vault can have its own instead of stalling every file that shares one.
 */
export async function startVaultServer(baoPath: string): Promise<VaultServer> {
  const home = await mkdtemp(join(tmpdir(), 'wallet-test-bao-')); // dev mode writes ~/.vault-token
  const rootToken = `root-${randomBytes(16).toString('hex')}`;
  try {
    for (let attempt = 1; ; attempt++) {
      const port = await freePortPair();
      const child = spawnBao(baoPath, home, rootToken, port);
      const output = collect(child);
      const addr = `http://127.0.0.1:${port}`;
      try {
        await waitUntilHealthy(addr, child);
      } catch (error) {
        await kill(child);
        if (attempt < 3 && output().includes('address already in use')) continue; // lost a port race
        throw new Error(`OpenBao did not start: ${String(error)}\n${output()}`);
      }
      const restrictedToken = await configure(addr, rootToken).catch(async (error: unknown) => {
        await kill(child);
        throw error;
      });
      const stopOnExit = (): void => void child.kill('SIGKILL'); // the run ended without teardown
      process.once('exit', stopOnExit);
      const stop = async (): Promise<void> => {
        process.off('exit', stopOnExit);
        await kill(child);
        await rm(home, { recursive: true, force: true });
      };
      return { addr, rootToken, restrictedToken, pid: child.pid ?? 0, stop };
    }
  } catch (error) {
    await rm(home, { recursive: true, force: true });
    throw error;
  }
}

function spawnBao(baoPath: string, home: string, rootToken: string, port: number): ChildProcess {
  const args = ['server', '-dev', `-dev-root-token-id=${rootToken}`, `-dev-listen-address=127.0.0.1:${port}`];
  // A minimal environment: no BAO_*/VAULT_* of the developer's shell leaks into the server.
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home };
  // A session of its own, so that nothing aimed at the test run's process group (job control
  // sends SIGCONT to the stopped members of a group it finds orphaned) resumes it while a test
  // holds it stopped with SIGSTOP.
  return spawn(baoPath, [...args, '-log-level=warn'], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
}

/** Dev mode also binds the cluster port, listen port + 1. */
async function freePortPair(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port < 65535 && (await isPortFree(port + 1))) return port;
  }
}

async function waitUntilHealthy(addr: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error('bao exited');
    const status = await fetch(`${addr}/v1/sys/health`).then((r) => r.status, () => 0);
    if (status === 200) return;
    await sleep(50);
  }
  throw new Error('sys/health did not answer 200 within 20 s');
}

async function configure(addr: string, rootToken: string): Promise<string> {
  const call = async (path: string, body: unknown): Promise<Record<string, unknown> | undefined> => {
    const response = await vaultRequest(addr, path, rootToken, { body });
    if (response.status >= 300) throw new Error(`${path}: HTTP ${response.status} ${JSON.stringify(response.body)}`);
    return response.body?.auth;
  };
  await call(`sys/mounts/${TRANSIT_MOUNT}`, { type: 'transit' });
  await call(`sys/policies/acl/${TRANSIT_KEY}`, { policy: SERVICE_POLICY });
  const auth = await call('auth/token/create', {
    policies: [TRANSIT_KEY],
    no_default_policy: true,
    ttl: '24h',
    display_name: 'wallet-service-test',
  });
  if (typeof auth?.client_token !== 'string') throw new Error('auth/token/create returned no client_token');
  return auth.client_token;
}

function collect(child: ChildProcess): () => string {
  let text = '';
  const append = (chunk: Buffer): void => {
    text = (text + chunk.toString()).slice(-8_000);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  return () => text;
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGCONT'); // a stopped process would hold SIGTERM pending forever
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

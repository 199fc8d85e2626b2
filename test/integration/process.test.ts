import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Health, HealthCheckResponse_ServingStatus as Serving } from '../../gen/grpc/health/v1/health_pb.js';
import { AdminService } from '../../gen/wallet/v1/admin_service_pb.js';
import { WalletService } from '../../gen/wallet/v1/wallet_service_pb.js';
import { connectClient, connectError } from '../support/clients.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { freePort } from '../support/free-port.js';
import { findSecrets, useLogCapture } from '../support/log-capture.js';
import { withPgClient } from '../support/pg.js';
import {
  cleanEnv,
  isAlive,
  issueToken,
  killStalePostmaster,
  LISTENING,
  postmasterPid,
  ServiceProcess,
  stopAllServices,
} from '../support/service-process.js';
import type { VaultServer } from '../support/vault-server.js';
import { pauseVault, resumeVault, startPrivateVault } from '../support/vault.js';

// The service as a user runs it: `node --import tsx src/main.ts` in a child process, configured
// only through its environment, observed only through its output, its port and its exit code.

const logs = useLogCapture();
const secrets: string[] = [];
const spawned: ServiceProcess[] = [];
const dataDirs: string[] = [];
let workDir: string;

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'wallet-process-test-'));
  await chmod(workDir, 0o711); // as root, PostgreSQL runs as "postgres", which must enter the data dir's parents
});

afterAll(async () => {
  await stopAllServices();
  for (const dir of dataDirs) await killStalePostmaster(dir);
  const leftovers = await processesMentioning(workDir);
  await rm(workDir, { recursive: true, force: true });
  expect(spawned.filter((service) => service.isRunning).map((service) => service.pid), 'service processes still running').toEqual([]);
  expect(leftovers, 'processes (PostgreSQL) still using a test data dir').toEqual([]);
});

/** Registers values that no captured line may contain (checked at the end and by useLogCapture). */
function secret(...values: string[]): void {
  logs.registerSecret(...values);
  secrets.push(...values);
}

function dataDir(name: string): string {
  const dir = join(workDir, name);
  dataDirs.push(dir);
  return dir;
}

function start(env: Record<string, string>): ServiceProcess {
  const service = new ServiceProcess(env, logs);
  spawned.push(service);
  return service;
}

async function token(env: Record<string, string>, sub: string, options: { admin?: boolean } = {}): Promise<string> {
  const jwt = await issueToken(env, sub, options);
  secret(jwt);
  return jwt;
}

function credentials() {
  const c = { apiKey: `key-${randomUUID()}`, apiSecret: `secret-${randomUUID()}`, passphrase: '' };
  secret(c.apiKey, c.apiSecret);
  return c;
}

function messages(service: ServiceProcess): string[] {
  return service.entries().map((entry) => String(entry.msg));
}

const STOPPED_CLEANLY = { code: 0, signal: null };

describe.concurrent('bad configuration', () => {
  const password = `pw-${randomBytes(9).toString('hex')}`;
  it.for<[string, Record<string, string>]>([
    ['WALLET_PORT', { WALLET_PORT: 'abc' }],
    ['DATABASE_URL', { DATABASE_URL: `mysql://wallet:${password}@db:3306/wallet` }],
    ['WALLET_EXCHANGE_URL_OVERRIDES', { WALLET_EXCHANGE_URL_OVERRIDES: '{"mtgox":"http://x"}' }],
    ['VAULT_ADDR', { NODE_ENV: 'production' }],
    ['VAULT_TOKEN', { VAULT_ADDR: 'http://127.0.0.1:8200' }],
  ])('stops start-up with one line on stderr naming %s, and a non-zero exit', { timeout: 30_000 }, async ([variable, vars], { expect }) => {
    secret(password);
    const dir = dataDir(`config-${variable}`);
    const service = start(cleanEnv({ WALLET_DATA_DIR: dir, ...vars }));
    const exit = await service.exited;
    expect(exit.signal).toBeNull();
    expect(exit.code).not.toBe(0);
    expect(service.stderr).toHaveLength(1);
    expect(service.stderr[0]).toContain(variable);
    expect(service.stdout).toEqual([]);
    expect(existsSync(dir), 'nothing written before the configuration is valid').toBe(false);
  });
});

describe('the embedded default: no DATABASE_URL, VAULT_ADDR or JWT configuration', () => {
  it('starts on a fresh data dir, accepts tokens of scripts/token.ts, stops on SIGTERM, and keeps its data across a restart', async () => {
    const dir = dataDir('embedded');
    const port = await freePort();
    const env = cleanEnv({ WALLET_DATA_DIR: dir, WALLET_PORT: String(port) });
    const baseUrl = `http://127.0.0.1:${port}`;

    const first = start(env);
    expect(await first.listening()).toBe(port);
    expect(first.entries().find((entry) => entry.msg === LISTENING)).toMatchObject({ credentialStore: 'local-key' });

    const userId = randomUUID();
    const userToken = await token(env, userId);
    const adminToken = await token(env, randomUUID(), { admin: true });
    const creds = credentials();
    const created = await connectClient(WalletService, baseUrl, userToken).createExchangeAccount({
      exchangeId: 'binance',
      accountName: 'from-a-process',
      credentials: creds,
    });
    const id = created.exchangeAccount!.id;
    expect(created.exchangeAccount).toMatchObject({ userId, exchangeId: 'binance', apiKeyHint: creds.apiKey.slice(-4) });
    const all = await connectClient(AdminService, baseUrl, adminToken).listAllExchangeAccounts({ userId });
    expect(all.exchangeAccounts.map((account) => account.id)).toEqual([id]);
    const denied = await connectError(connectClient(AdminService, baseUrl, userToken).listAllExchangeAccounts({}));
    expect(denied.code).toBe('PERMISSION_DENIED');

    const keyFiles: Record<string, string> = {};
    for (const file of ['credentials.key', 'jwt-secret']) {
      expect(((await stat(join(dir, file))).mode & 0o777).toString(8), `${file} mode`).toBe('600');
      keyFiles[file] = (await readFile(join(dir, file), 'utf8')).trim();
      secret(keyFiles[file]);
    }

    expect(await first.stop()).toEqual(STOPPED_CLEANLY);
    expect(messages(first)).toEqual(expect.arrayContaining(['shutting down', 'wallet service stopped']));
    expect(first.stdout.length).toBe(first.entries().length); // every stdout line is a JSON log entry
    expect(postmasterPid(dir), 'its PostgreSQL stopped too').toBeUndefined();

    const second = start(env);
    expect(await second.listening()).toBe(port);
    expect(messages(second).filter((msg) => msg.includes('[migrator] Applied')), 'schema already there').toEqual([]);
    const again = await connectClient(WalletService, baseUrl, userToken).getExchangeAccount({ id });
    expect(again.exchangeAccount).toMatchObject({ id, userId, accountName: 'from-a-process' });
    for (const [file, content] of Object.entries(keyFiles)) {
      expect((await readFile(join(dir, file), 'utf8')).trim(), `${file} kept`).toBe(content);
    }
    expect(await second.stop()).toEqual(STOPPED_CLEANLY);
  }, 60_000);
});

describe('graceful drain on SIGTERM, with Vault transit and an external PostgreSQL', () => {
  let vault: VaultServer | undefined;
  let database: TestDatabase | undefined;

  beforeAll(async () => {
    [vault, database] = await Promise.all([startPrivateVault(), createTestDatabase()]);
    secret(vault.rootToken, vault.restrictedToken, new URL(database.url).password);
  });
  afterAll(async () => {
    await stopAllServices(); // before the database goes
    await Promise.all([vault?.stop(), database?.drop()]);
  });

  it('finishes the call in flight, refuses new connections, reports NOT_SERVING, and exits 0', async () => {
    const port = await freePort();
    const jwtSecret = randomBytes(32).toString('base64url');
    secret(jwtSecret);
    const env = cleanEnv({
      WALLET_DATA_DIR: dataDir('drain'),
      WALLET_PORT: String(port),
      DATABASE_URL: database!.url,
      VAULT_ADDR: vault!.addr,
      VAULT_TOKEN: vault!.restrictedToken,
      WALLET_JWT_SECRET: jwtSecret,
    });
    const baseUrl = `http://127.0.0.1:${port}`;
    const service = start(env);
    await service.listening();
    expect(service.entries().find((entry) => entry.msg === LISTENING)).toMatchObject({ credentialStore: 'vault' });
    const client = connectClient(WalletService, baseUrl, await token(env, randomUUID()));
    await client.createExchangeAccount({ exchangeId: 'kraken', accountName: 'warm-up', credentials: credentials() });

    // A Watch opened before the signal sees the status change; Check would need a new connection.
    const statuses: Serving[] = [];
    const watch = (async () => {
      for await (const res of connectClient(Health, baseUrl, undefined).watch({ service: '' })) statuses.push(res.status);
    })();
    await until(() => statuses.length > 0, 5_000);

    let settled = false;
    let refused = false;
    let inflight: ReturnType<typeof client.createExchangeAccount> | undefined;
    pauseVault(vault!.pid);
    try {
      inflight = client.createExchangeAccount({ exchangeId: 'kraken', accountName: 'in-flight', credentials: credentials() });
      inflight.then(
        () => (settled = true),
        () => (settled = true),
      );
      await sleep(500); // the call now waits inside the service for Vault's encrypt (timeout 5 s)
      expect(settled).toBe(false);
      const signalled = Date.now();
      service.signal('SIGTERM');
      await until(() => connectionRefused(port), 3_000);
      refused = true;
      expect(settled, 'the call is still in flight while the server refuses connections').toBe(false);
      await sleep(Math.max(0, signalled + 300 - Date.now()));
    } finally {
      resumeVault(vault!.pid);
    }
    expect(refused).toBe(true);

    const { exchangeAccount } = await inflight!;
    expect(exchangeAccount).toMatchObject({ exchangeId: 'kraken', accountName: 'in-flight' });
    expect(await service.exited).toEqual(STOPPED_CLEANLY);
    await watch; // ended normally when the server began draining, not cut
    expect(statuses).toEqual([Serving.SERVING, Serving.NOT_SERVING]);

    const said = messages(service);
    const draining = service.entries().find((entry) => entry.msg === 'draining calls in flight');
    expect(draining?.calls).toContain('/wallet.v1.WalletService/CreateExchangeAccount');
    expect(said.indexOf('shutting down')).toBeLessThan(said.indexOf('draining calls in flight'));
    expect(said.lastIndexOf('exchange account created')).toBeGreaterThan(said.indexOf('draining calls in flight'));
    expect(said.at(-1), JSON.stringify(service.entries().slice(-8).map((e) => [e.msg, e.rpc ?? e.calls, e.code]))).toBe('wallet service stopped');
    const rows = await withPgClient(database!.url, (pg) => pg.query('select account_name from exchange_accounts where id = $1', [exchangeAccount!.id]));
    expect(rows.rows).toEqual([{ account_name: 'in-flight' }]);
  }, 45_000);
});

describe('a crash: kill -9 of an embedded-default process', () => {
  it('restarts on the same data dir past the orphaned PostgreSQL, with the data there', async () => {
    const dir = dataDir('crash');
    const port = await freePort();
    const env = cleanEnv({ WALLET_DATA_DIR: dir, WALLET_PORT: String(port) });
    const baseUrl = `http://127.0.0.1:${port}`;
    const first = start(env);
    await first.listening();
    const client = connectClient(WalletService, baseUrl, await token(env, randomUUID()));
    const created = await client.createExchangeAccount({ exchangeId: 'bybit', accountName: 'before-crash', credentials: credentials() });

    const orphan = postmasterPid(dir)!;
    first.signal('SIGKILL');
    expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(isAlive(orphan), 'the crash left its PostgreSQL running, holding the lock').toBe(true);

    const second = start(env);
    expect(await second.listening()).toBe(port);
    expect(isAlive(orphan), 'the orphan was stopped').toBe(false);
    const again = await client.getExchangeAccount({ id: created.exchangeAccount!.id });
    expect(again.exchangeAccount).toMatchObject({ accountName: 'before-crash' });
    expect(await second.stop()).toEqual(STOPPED_CLEANLY);
    expect(postmasterPid(dir)).toBeUndefined();
  }, 60_000);
});

describe('secrets', () => {
  it('never printed a credential, token, key or Vault token on stdout or stderr', () => {
    const lines = logs.allLines();
    expect(lines.length).toBeGreaterThan(30);
    expect(secrets.length).toBeGreaterThan(15);
    expect(findSecrets(lines, secrets)).toEqual([]);
  });
});

async function until(condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(20);
  }
}

/** Whether a new TCP connection to the port is refused (nothing listens any more). */
function connectionRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
}

/** Command lines of the processes that mention `text` (pgrep -f). */
function processesMentioning(text: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    execFile('pgrep', ['-af', text], (error, stdout) => {
      if (error && error.code !== 1) reject(error);
      else resolve(stdout.split('\n').filter(Boolean));
    });
  });
}

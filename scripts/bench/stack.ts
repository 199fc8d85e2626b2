// The system under benchmark, as in production: the built service in a
// process of its own, on an ephemeral embedded PostgreSQL, with the local key
// file. Load generators and the exchange simulator stay in the bench process.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type Client, createClient } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { SignJWT } from 'jose';
import { WalletService } from '../../gen/wallet/v1/wallet_service_pb.js';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres.js';
import type { RequestLogEntry } from '../../test/simulator/types.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

export interface Stack {
  readonly port: number;
  readonly baseUrl: string;
  readonly databaseUrl: string;
  /** The service process's pid (CPU accounting). */
  readonly pid: number;
  token(userId?: string): Promise<string>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Builds and starts the service with `env` added to its configuration;
 * `nodeArgs` go to its node (`--cpu-prof`, say).
 */
export async function startStack(env: Record<string, string> = {}, nodeArgs: readonly string[] = []): Promise<Stack> {
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  const dir = await mkdtemp(join(tmpdir(), 'wallet-bench-'));
  await chmod(dir, 0o755); // PostgreSQL runs as its own user when we are root
  const pg = await startEmbeddedPostgres({ dir: join(dir, 'pg'), ephemeral: true });
  const port = await freePort();
  const secret = randomBytes(32).toString('base64url');
  // The node flags of `npm start`, then the caller's.
  const child: ChildProcess = spawn(process.execPath, ['--max-semi-space-size=64', ...nodeArgs, 'dist/src/main.js'], {
    cwd: root,
    env: { PATH: process.env.PATH, WALLET_PORT: String(port), DATABASE_URL: pg.url, WALLET_DATA_DIR: join(dir, 'data'), WALLET_JWT_SECRET: secret, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    const probe = setInterval(async () => {
      try {
        await fetch(`http://127.0.0.1:${port}/metrics`);
        clearInterval(probe);
        resolve();
      } catch {
        // not listening yet
      }
    }, 100);
    child.once('exit', (code) => {
      clearInterval(probe);
      reject(new Error(`the service exited with ${code} before listening`));
    });
  });
  createInterface({ input: child.stdout! }).on('line', (line) => process.stderr.write(`service: ${line}\n`));
  return {
    port,
    pid: child.pid!,
    baseUrl: `http://127.0.0.1:${port}`,
    databaseUrl: pg.url,
    token: (userId = randomUUID()) =>
      new SignJWT({ roles: ['wallet.admin'] }).setProtectedHeader({ alg: 'HS256' }).setSubject(userId).setExpirationTime('2h').sign(new TextEncoder().encode(secret)),
    async stop() {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
      await pg.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Percentile of a sorted list. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** median [min-max] of a figure over the repetitions. */
export function stats(values: number[]): { median: number; min: number; max: number } {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return { median: s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2, min: s[0]!, max: s[s.length - 1]! };
}

export const fmt = (v: number, digits: number) => v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** A figure over the repetitions as "median unit [min-max]", and its median. */
export function spread(values: number[], digits: number, unit: string): { median: number; text: string } {
  const s = stats(values);
  return { median: s.median, text: `${fmt(s.median, digits)} ${unit} [${fmt(s.min, digits)}-${fmt(s.max, digits)}]` };
}

/** A fixed-width table row. */
export function row(cells: readonly (string | number)[], widths: readonly number[]): string {
  return cells.map((c, i) => String(c).padEnd(widths[i] ?? 10)).join(' ');
}

/** A new user's Connect client (h2c) and an exchange account of theirs with these (simulator) credentials. */
export async function connectAccount(
  stack: Stack,
  exchangeId: string,
  creds: { apiKey: string; secret: string; passphrase?: string },
): Promise<{ client: Client<typeof WalletService>; accountId: string }> {
  const token = await stack.token();
  const client = createClient(
    WalletService,
    createConnectTransport({ baseUrl: stack.baseUrl, httpVersion: '2', interceptors: [(next) => (req) => (req.header.set('authorization', `Bearer ${token}`), next(req))] }),
  );
  const { exchangeAccount } = await client.createExchangeAccount({
    exchangeId,
    accountName: 'bench',
    credentials: { apiKey: creds.apiKey, apiSecret: creds.secret, passphrase: creds.passphrase ?? '' },
  });
  return { client, accountId: exchangeAccount!.id };
}

/** The pause between sequential calls that keeps them at half a limit's pace, so none waits for its turn. */
export function halfPaceGap(limit: { requests: number; intervalMs: number }, latencyMs: number): number {
  return (2 * limit.intervalMs) / limit.requests + latencyMs;
}

/**
 * Our own time per call, sorted (ms): `count` sequential calls, started `gap` ms apart at
 * most, each timed by the client minus the time the simulator took to answer the exchange
 * requests it made (the injected latency and the simulator's own work).
 */
export async function ownOverheads(
  exchange: { readonly requests: readonly RequestLogEntry[] },
  count: number,
  gap: number,
  call: (i: number) => Promise<void>,
): Promise<number[]> {
  const overheads: number[] = [];
  for (let i = 0; i < count; i++) {
    const logged = exchange.requests.length;
    const started = performance.now();
    await call(i);
    const took = performance.now() - started;
    const answered = exchange.requests.slice(logged).reduce((sum, r) => sum + (r.tookMs ?? 0), 0);
    overheads.push(took - answered);
    if (took < gap) await new Promise((r) => setTimeout(r, gap - took));
  }
  return overheads.sort((a, b) => a - b);
}

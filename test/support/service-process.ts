import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { SignJWT } from 'jose';
import { createTestDatabase } from './database.js';
import { freePort } from './free-port.js';
import type { LogCapture } from './log-capture.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** How a child process ended. */
export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** The message the service logs once it accepts calls. */
export const LISTENING = 'wallet service listening';

/**
 * An environment with nothing of the developer's shell but PATH and HOME (npx needs it), so
 * a stray DATABASE_URL or VAULT_TOKEN cannot change what the test starts.
 */
export function cleanEnv(vars: Record<string, string>): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'info', ...vars };
}

const running = new Set<ServiceProcess>();
process.once('exit', () => {
  for (const service of running) service.killGroup(); // the run ended without teardown
});

/**
 * The service as a user runs it: `node --import tsx src/main.ts`, in a process group of its
 * own (the embedded PostgreSQL joins it), stdout and stderr read line by line and copied into
 * a LogCapture so the file's secret check sees everything it printed.
 */
export class ServiceProcess {
  readonly stdout: string[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<Exit>;
  private readonly child: ChildProcess;
  private readonly listeners = new Set<() => void>();
  private ended = false;

  constructor(env: Record<string, string>, logs: LogCapture) {
    this.child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    running.add(this);
    this.readLines(this.child.stdout!, this.stdout, logs);
    this.readLines(this.child.stderr!, this.stderr, logs);
    // 'close', not 'exit': only then has all its output been read (its last log lines included).
    this.exited = new Promise((resolve) => {
      this.child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
        this.ended = true;
        running.delete(this);
        this.notify();
        resolve({ code, signal });
      });
    });
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  get isRunning(): boolean {
    return !this.ended;
  }

  /** The stdout lines that are JSON objects (the service's pino entries). */
  entries(): Record<string, unknown>[] {
    return this.stdout.flatMap((line) => {
      try {
        const value: unknown = JSON.parse(line);
        return typeof value === 'object' && value !== null ? [value as Record<string, unknown>] : [];
      } catch {
        return [];
      }
    });
  }

  /** The first entry with this `msg`, logged already or within `timeoutMs`; rejects when the process exits first. */
  async waitForLog(msg: string, timeoutMs: number): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.entries().find((entry) => entry.msg === msg);
      if (found) return found;
      if (this.ended) throw new Error(`the service exited before logging "${msg}":\n${this.output()}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no "${msg}" within ${timeoutMs} ms:\n${this.output()}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, left);
        function done(): void {
          clearTimeout(timer);
          resolve();
        }
        this.listeners.add(done);
      });
    }
  }

  /** Waits for the "listening" line and answers the port it names. */
  async listening(timeoutMs = 30_000): Promise<number> {
    const entry = await this.waitForLog(LISTENING, timeoutMs);
    return entry.port as number;
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** SIGTERM, then SIGKILL to the whole group if it has not exited within `timeoutMs`. */
  async stop(timeoutMs = 15_000): Promise<Exit> {
    if (!this.ended) this.signal('SIGTERM');
    const timer = setTimeout(() => this.killGroup(), timeoutMs);
    const exit = await this.exited;
    clearTimeout(timer);
    return exit;
  }

  /** SIGKILL to the process and everything in its group (its PostgreSQL included). */
  killGroup(): void {
    try {
      process.kill(-this.pid, 'SIGKILL');
    } catch {
      // the group is gone already
    }
  }

  /** Everything it printed, for failure messages. */
  output(): string {
    return [...this.stdout, ...this.stderr].slice(-40).join('\n');
  }

  private readLines(stream: NodeJS.ReadableStream, lines: string[], logs: LogCapture): void {
    const capture = logs.stream();
    let partial = '';
    stream.on('data', (chunk: Buffer) => {
      capture.write(chunk);
      const parts = (partial + chunk.toString()).split('\n');
      partial = parts.pop() ?? '';
      lines.push(...parts);
      this.notify();
    });
    stream.on('end', () => {
      if (partial !== '') lines.push(partial);
      capture.end();
      this.notify();
    });
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
    this.listeners.clear();
  }
}

/** Stops every service process still running (afterAll): SIGTERM, then SIGKILL to its group. */
export async function stopAllServices(timeoutMs = 10_000): Promise<void> {
  await Promise.all([...running].map((service) => service.stop(timeoutMs)));
}

/** Runs `npx tsx scripts/token.ts …` as a user would and answers the token it prints. */
export async function issueToken(env: Record<string, string>, sub: string, options: { admin?: boolean } = {}): Promise<string> {
  const args = ['tsx', 'scripts/token.ts', '--sub', sub, ...(options.admin ? ['--admin'] : [])];
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile('npx', args, { cwd: root, env, timeout: 20_000 }, (error, out, err) => {
      if (error) reject(new Error(`scripts/token.ts failed: ${err}`));
      else resolve(out);
    });
  });
  return stdout.trim();
}

/** The PID in the embedded PostgreSQL's lock file under a service data dir, if any. */
export function postmasterPid(dataDir: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(join(dataDir, 'postgres', 'data', 'postmaster.pid'), 'utf8'), 10);
    return Number.isInteger(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Whether `pid` is a live process (not a zombie). */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Kills the PostgreSQL a killed service left behind in `dataDir`, and waits until it is gone. */
export async function killStalePostmaster(dataDir: string): Promise<void> {
  const pid = postmasterPid(dataDir);
  if (pid === undefined || !isAlive(pid)) return;
  if (!cmdlineOf(pid).includes(dataDir)) return; // the PID was reused by something else
  process.kill(pid, 'SIGQUIT'); // immediate shutdown; its backends follow
  for (let i = 0; i < 100 && isAlive(pid); i++) await sleep(50);
}

function cmdlineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}

/** A service process on a fresh test database, with the local key file and a JWT secret of its own. */
export interface IsolatedService {
  readonly process: ServiceProcess;
  readonly port: number;
  /** A token of a new user, accepted by this service. */
  readonly token: string;
  stop(): Promise<void>;
}

/**
 * Starts the service in its own process, so that what is measured of it (memory, sockets,
 * latency under a client's attack) is its own, not the test's.
 */
export async function startIsolatedService(logs: LogCapture): Promise<IsolatedService> {
  const database = await createTestDatabase();
  const workDir = await mkdtemp(join(tmpdir(), 'wallet-isolated-'));
  await chmod(workDir, 0o711);
  const jwtSecret = randomBytes(32).toString('base64url');
  logs.registerSecret(jwtSecret);
  const port = await freePort();
  const env = cleanEnv({ WALLET_PORT: String(port), WALLET_DATA_DIR: join(workDir, 'data'), DATABASE_URL: database.url, WALLET_JWT_SECRET: jwtSecret });
  const service = new ServiceProcess(env, logs);
  await service.listening();
  const token = await new SignJWT({ roles: [] }).setProtectedHeader({ alg: 'HS256' }).setSubject(randomUUID()).setIssuedAt().setExpirationTime('1h').sign(new TextEncoder().encode(jwtSecret));
  logs.registerSecret(token);
  return {
    process: service,
    port,
    token,
    async stop() {
      await service.stop();
      await database.drop();
      await rm(workDir, { recursive: true, force: true });
    },
  };
}

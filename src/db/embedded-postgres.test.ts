import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { withPgClient } from '../../test/support/pg.js';
import { startEmbeddedPostgres, type RunningPostgres } from './embedded-postgres.js';

const dirs: string[] = [];
const running: RunningPostgres[] = [];

async function newDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'wallet-pg-test-'));
  dirs.push(dir);
  await chmod(dir, 0o711); // mkdtemp makes 0700; as root, user "postgres" must enter it
  return join(dir, 'pg'); // like WALLET_DATA_DIR/pg: created by startEmbeddedPostgres
}

async function start(dir: string, options: { ephemeral?: boolean; port?: number } = {}): Promise<RunningPostgres> {
  const pg = await startEmbeddedPostgres({ dir, ...options });
  running.push(pg);
  return pg;
}

async function count(url: string): Promise<number> {
  return withPgClient(url, async (client) => {
    const { rows } = await client.query<{ n: number }>('select count(*)::int as n from kept');
    return rows[0]?.n ?? -1;
  });
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((pg) => pg.stop()));
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('startEmbeddedPostgres', () => {
  it('keeps data and password across a restart on the same directory, without a new initdb', async () => {
    const dir = await newDir();
    const first = await start(dir);
    await withPgClient(first.url, (client) => client.query('create table kept (id int); insert into kept values (1)'));
    await first.stop();
    const password = await readFile(join(dir, 'password'), 'utf8');

    const second = await start(dir);
    expect(await count(second.url)).toBe(1);
    expect(await readFile(join(dir, 'password'), 'utf8')).toBe(password);
    expect(second.url).toContain(password.trim());
  });

  it('releases async-exit-hook, so the caller owns exit codes and SIGINT/SIGTERM', async () => {
    await start(await newDir(), { ephemeral: true });
    const exitHook = createRequire(import.meta.url)('async-exit-hook') as { hookedEvents(): string[] };
    expect(exitHook.hookedEvents()).toEqual([]);
  });

  it('deletes an ephemeral cluster on stop', async () => {
    const dir = await newDir();
    const pg = await start(dir, { ephemeral: true });
    expect(await withPgClient(pg.url, (client) => client.query('select 1'))).toBeDefined();
    await pg.stop();
    expect(existsSync(dir)).toBe(false);
  });

  it('starts after the owning process was killed with SIGKILL, stopping the orphaned server', async () => {
    const dir = await newDir();
    const moduleUrl = new URL('./embedded-postgres.ts', import.meta.url).href;
    const child = spawn(process.execPath, [
      '--import', 'tsx', '--input-type=module', '-e',
      `const { startEmbeddedPostgres } = await import(${JSON.stringify(moduleUrl)});
       const pg = await startEmbeddedPostgres({ dir: ${JSON.stringify(dir)} });
       console.log(pg.url); setInterval(() => {}, 1000);`,
    ], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [firstOutput] = (await once(child.stdout, 'data')) as [Buffer];
    const orphanUrl = firstOutput.toString().trim();
    await withPgClient(orphanUrl, (client) => client.query('create table kept (id int); insert into kept values (1)'));
    child.kill('SIGKILL');
    await once(child, 'exit');
    expect(await count(orphanUrl)).toBe(1); // the orphan still runs and holds the data directory

    const restarted = await start(dir);
    expect(await count(restarted.url)).toBe(1);
  });

  it('ignores a postmaster.pid whose PID now belongs to an unrelated live process', async () => {
    const dir = await newDir();
    await (await start(dir)).stop();
    await writeFile(join(dir, 'data', 'postmaster.pid'), `${process.pid}\n${join(dir, 'data')}\n`);
    const pg = await start(dir);
    expect(await withPgClient(pg.url, (client) => client.query('select 1'))).toBeDefined();
  });

  it('refuses a data directory whose server is still owned by a live process', async () => {
    const dir = await newDir();
    await start(dir);
    await expect(startEmbeddedPostgres({ dir })).rejects.toThrow(/in use by process/);
  });

  it('explains a failed start with the server log', async () => {
    const blocker = createServer();
    await new Promise<void>((ok) => blocker.listen(0, '127.0.0.1', ok));
    const address = blocker.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    try {
      await expect(start(await newDir(), { ephemeral: true, port })).rejects.toThrow(/did not start[\s\S]*Address already in use/);
    } finally {
      blocker.close();
    }
  });
});

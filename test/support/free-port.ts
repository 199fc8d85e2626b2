import { createServer } from 'node:net';

/** A TCP port on 127.0.0.1 that was free a moment ago (callers retry when they lose the race). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok, fail) => server.once('error', fail).listen(0, '127.0.0.1', ok));
  const address = server.address();
  await new Promise((ok) => {
    server.close(ok);
  });
  if (address === null || typeof address === 'string') throw new Error('no free TCP port');
  return address.port;
}

/** Whether `port` on 127.0.0.1 can be bound right now. */
export async function isPortFree(port: number): Promise<boolean> {
  const server = createServer();
  const free = await new Promise<boolean>((ok) => {
    server.once('error', () => {
      ok(false);
    });
    server.listen(port, '127.0.0.1', () => {
      ok(true);
    });
  });
  if (free) {
    await new Promise((ok) => {
      server.close(ok);
    });
  }
  return free;
}

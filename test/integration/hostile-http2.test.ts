import { randomBytes, randomUUID } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import http2 from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { freePort } from '../support/free-port.js';
import {
  FRAME,
  frame,
  grpcEmptyMessage,
  grpcHeaders,
  RawHttp2,
  rssMiB,
  rstStream,
  serverConnections,
  socketCount,
} from '../support/hostile-http2.js';
import { useLogCapture } from '../support/log-capture.js';
import { cleanEnv, ServiceProcess, stopAllServices } from '../support/service-process.js';
import { startTestService, type TestService } from '../support/service.js';

// Clients that misbehave at the HTTP/2 level, against real ports. What is measured in memory and
// sockets runs against the service in its own process, so the figures are the service's alone.

const logs = useLogCapture();
const { NGHTTP2_NO_ERROR, NGHTTP2_ENHANCE_YOUR_CALM } = http2.constants;
const HEALTH_CHECK = '/grpc.health.v1.Health/Check';
const HEALTH_WATCH = '/grpc.health.v1.Health/Watch';
const LIST_SUPPORTED = '/wallet.v1.WalletService/ListSupportedExchanges';

async function until(condition: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what()}`);
    await sleep(50);
  }
}

/** A figure for the report: written to the captured log, printed when TEST_LOGS is set. */
function figure(msg: string, values: Record<string, unknown>): void {
  const line = JSON.stringify({ msg, ...values });
  logs.stream().write(line + '\n');
  if (process.env.TEST_LOGS) process.stderr.write(line + '\n');
}

describe('against the service in its own process', () => {
  let database: TestDatabase;
  let workDir: string;
  let port: number;
  let pid: number;
  let token: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    workDir = await mkdtemp(join(tmpdir(), 'wallet-hostile-h2-'));
    await chmod(workDir, 0o711); // the local key file's dir; PostgreSQL is not embedded here
    const jwtSecret = randomBytes(32).toString('base64url');
    logs.registerSecret(jwtSecret);
    port = await freePort();
    const env = cleanEnv({ WALLET_PORT: String(port), WALLET_DATA_DIR: join(workDir, 'data'), DATABASE_URL: database.url, WALLET_JWT_SECRET: jwtSecret });
    const service = new ServiceProcess(env, logs);
    await service.listening();
    pid = service.pid;
    token = await new SignJWT({ roles: [] }).setProtectedHeader({ alg: 'HS256' }).setSubject(randomUUID()).setIssuedAt().setExpirationTime('1h').sign(new TextEncoder().encode(jwtSecret));
    logs.registerSecret(token);
  });
  afterAll(async () => {
    await stopAllServices();
    await database?.drop();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it('rapid reset, reconnecting after each GOAWAY: every connection is cut at its reset budget, and none is held once the client is gone', async () => {
    const before = { rssMiB: rssMiB(pid), sockets: socketCount(pid), connections: serverConnections(port).length };
    const goaways: number[] = [];
    let connections = 0;
    let open: RawHttp2 | undefined;
    const attacker = async (until: number) => {
      while (Date.now() < until) {
        const conn = (open = new RawHttp2(port));
        connections += 1;
        // HEADERS then RST_STREAM, without waiting for anything, far past any reset budget.
        const frames: Buffer[] = [];
        for (let i = 0, id = 1; i < 1500; i++, id += 2) frames.push(grpcHeaders(id, HEALTH_CHECK), rstStream(id));
        conn.write(...frames);
        await Promise.race([conn.closed, sleep(2000)]);
        goaways.push(...conn.goaways);
        conn.socket.destroy();
      }
    };
    const end = Date.now() + 3000;
    await Promise.all([attacker(end), attacker(end)]);
    open?.socket.destroy();

    // Each connection ended by the server, told why; none waited out our 2 s.
    expect(goaways.length).toBe(connections);
    expect(new Set(goaways)).toEqual(new Set([NGHTTP2_ENHANCE_YOUR_CALM]));
    const goneAt = Date.now();
    await until(() => serverConnections(port).length === 0, 5000, () => JSON.stringify(serverConnections(port)));
    figure('rapid reset', {
      connections,
      releasedWithinMs: Date.now() - goneAt,
      before,
      after: { rssMiB: rssMiB(pid), sockets: socketCount(pid), connections: serverConnections(port).length },
    });
  }, 20_000);

  it('1,000 streams on one connection that never reads: 100 are answered, the rest wait, and memory stays bounded', async () => {
    const baseline = rssMiB(pid);
    const client = http2.connect(`http://127.0.0.1:${port}`, { settings: { initialWindowSize: 0 } });
    client.on('error', () => undefined);
    let answered = 0;
    const failed: string[] = [];
    for (let i = 0; i < 1000; i++) {
      const stream = client.request({ ':method': 'POST', ':path': LIST_SUPPORTED, 'content-type': 'application/grpc', te: 'trailers', authorization: `Bearer ${token}` });
      stream.pause();
      stream.on('response', () => (answered += 1));
      stream.on('error', (err: Error) => failed.push(err.message));
      stream.end(Buffer.alloc(5));
    }
    await until(() => answered >= 100, 5000, () => `${answered} answered`);
    let peak = 0;
    for (let i = 0; i < 10; i++) {
      peak = Math.max(peak, rssMiB(pid));
      await sleep(100);
    }
    expect(answered, 'the server lets 100 streams open; the client queues the others').toBe(100);
    expect(failed).toEqual([]);
    client.destroy();
    await until(() => serverConnections(port).length === 0, 5000, () => JSON.stringify(serverConnections(port)));
    await sleep(2000);
    const after = rssMiB(pid);
    figure('unread streams', { baselineMiB: baseline, peakMiB: peak, afterMiB: after });
    expect(peak - baseline, `RSS grew from ${baseline.toFixed(0)} to ${peak.toFixed(0)} MiB`).toBeLessThan(48);
  }, 20_000);

  it('a client that opens 300 streams at once, past the limit it acknowledged, is answered on 100 at most and cut', async () => {
    const conn = new RawHttp2(port);
    await sleep(200); // our SETTINGS ACKed: the limit is in force
    const frames: Buffer[] = [];
    for (let i = 0, id = 1; i < 300; i++, id += 2) frames.push(grpcHeaders(id, HEALTH_CHECK), grpcEmptyMessage(id));
    conn.write(...frames);
    await Promise.race([conn.closed, sleep(5000)]);
    expect(conn.socket.destroyed, 'the server closed the connection').toBe(true);
    expect(conn.answered.size).toBeLessThanOrEqual(100);
    expect(conn.goaways).toHaveLength(1);
    expect(conn.goaways[0]).not.toBe(NGHTTP2_NO_ERROR);
    await until(() => serverConnections(port).length === 0, 5000, () => JSON.stringify(serverConnections(port)));
  });
});

describe('with short HTTP/2 timers', () => {
  const IDLE_MS = 1500;
  let svc: TestService;

  beforeAll(async () => {
    svc = await startTestService(logs, { vault: false, http2Limits: { idleTimeoutMs: IDLE_MS, pingIntervalMs: 300, pingTimeoutMs: 600 } });
  });
  afterAll(() => svc?.stop());

  const connections = () => svc.service.app.server.connections;

  it('closes an idle connection with a GOAWAY after the idle timeout, but not while a stream is open', async () => {
    const client = http2.connect(svc.baseUrl);
    const goaway = new Promise<{ code: number; at: number }>((resolve) => client.once('goaway', (code) => resolve({ code, at: Date.now() })));
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    const watch = client.request({ ':method': 'POST', ':path': HEALTH_WATCH, 'content-type': 'application/grpc', te: 'trailers' });
    watch.on('data', () => undefined);
    watch.on('error', () => undefined);
    watch.end(Buffer.alloc(5));
    await sleep(IDLE_MS * 2);
    expect(client.closed || client.destroyed, 'a Watch keeps its connection, PINGs answered all along').toBe(false);
    const quietFrom = Date.now();
    watch.close(http2.constants.NGHTTP2_CANCEL);
    const { code, at } = await goaway;
    expect(code).toBe(NGHTTP2_NO_ERROR);
    expect(at - quietFrom).toBeGreaterThanOrEqual(IDLE_MS - 100);
    expect(at - quietFrom).toBeLessThan(IDLE_MS + 1500);
    await closed;
    await until(() => connections() === 0, 3000, () => `${connections()} connections`);
  });

  it.each([
    ['a DATA frame on stream 0', () => [frame(FRAME.DATA, 0, 0, Buffer.from('x'))]],
    ['a RST_STREAM flood on a stream it closed', () => [grpcHeaders(1, HEALTH_CHECK), grpcEmptyMessage(1), ...Array.from({ length: 3000 }, () => rstStream(1))]],
    ['a protocol error while a stream is open', () => [grpcHeaders(1, HEALTH_WATCH), grpcEmptyMessage(1), frame(FRAME.DATA, 0, 0, Buffer.from('x'))]],
  ])('releases a client that breaks the protocol (%s) and leaves', async (_name, frames) => {
    const conn = new RawHttp2(svc.port);
    await sleep(100);
    conn.write(...frames());
    await sleep(200);
    conn.socket.end(); // gone: its FIN waits in the server's socket
    await until(() => connections() === 0 && serverConnections(svc.port).length === 0, 4000, () => JSON.stringify(serverConnections(svc.port)));
  });

  it('releases a connection whose peer resets the TCP connection mid-stream, and its call ends', async () => {
    const conn = new RawHttp2(svc.port);
    conn.write(grpcHeaders(1, HEALTH_WATCH), grpcEmptyMessage(1));
    await until(() => conn.answered.has(1), 3000, () => 'no answer to the Watch');
    expect(connections()).toBe(1);
    conn.socket.resetAndDestroy();
    await until(() => connections() === 0 && serverConnections(svc.port).length === 0, 3000, () => JSON.stringify(serverConnections(svc.port)));
  });
});

import http2 from 'node:http2';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FRAME,
  frame,
  grpcEmptyMessage,
  grpcHeaders,
  neverReading,
  rapidReset,
  RawHttp2,
  rssMiB,
  rstStream,
  serverConnections,
  socketCount,
} from '../support/hostile-http2.js';
import { useLogCapture } from '../support/log-capture.js';
import { type IsolatedService, startIsolatedService } from '../support/service-process.js';
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
  let service: IsolatedService;
  let port: number;
  let pid: number;

  beforeAll(async () => {
    service = await startIsolatedService(logs);
    ({ port } = service);
    pid = service.process.pid;
  });
  afterAll(() => service?.stop());

  const released = () => until(() => serverConnections(port).length === 0, 5000, () => JSON.stringify(serverConnections(port)));

  it('rapid reset, reconnecting after each GOAWAY: every connection is cut at its reset budget, and none is held once the client is gone', async () => {
    const before = { rssMiB: rssMiB(pid), sockets: socketCount(pid), connections: serverConnections(port).length };
    const { connections, goaways } = await rapidReset(port, HEALTH_CHECK, 3000);
    // Each connection was ended by the server, with the reason; none lasted to the end of the attack but the last ones.
    expect(goaways.length).toBeGreaterThanOrEqual(connections - 2);
    expect(new Set(goaways)).toEqual(new Set([NGHTTP2_ENHANCE_YOUR_CALM]));
    const goneAt = Date.now();
    await released();
    figure('rapid reset', {
      connections,
      releasedWithinMs: Date.now() - goneAt,
      before,
      after: { rssMiB: rssMiB(pid), sockets: socketCount(pid), connections: serverConnections(port).length },
    });
  }, 20_000);

  it('1,000 streams on one connection that never reads: 100 are answered, the rest wait, and memory stays bounded', async () => {
    const baseline = rssMiB(pid);
    const client = neverReading(port, LIST_SUPPORTED, service.token, 1000);
    await until(() => client.answered() >= 100, 5000, () => `${client.answered()} answered`);
    let peak = 0;
    for (let i = 0; i < 10; i++) {
      peak = Math.max(peak, rssMiB(pid));
      await sleep(100);
    }
    expect(client.answered(), 'the server lets 100 streams open; the client queues the others').toBe(100);
    expect(client.errors).toEqual([]);
    client.close();
    await released();
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
    await released();
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

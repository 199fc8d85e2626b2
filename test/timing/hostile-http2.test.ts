import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Health, HealthCheckResponse_ServingStatus as Serving } from '../../gen/grpc/health/v1/health_pb.js';
import { WalletService } from '../../gen/wallet/v1/wallet_service_pb.js';
import { GrpcJsClient } from '../support/clients.js';
import { neverReading, rapidReset } from '../support/hostile-http2.js';
import { useLogCapture } from '../support/log-capture.js';
import { type IsolatedService, startIsolatedService } from '../support/service-process.js';

// While one client misbehaves at the HTTP/2 level, another user's calls stay fast. The service
// runs in its own process; the bound is generous (p99 < 500 ms): this is about stalls of seconds,
// as before the limits, not about the latency bars, which the benchmarks measure.

const logs = useLogCapture();
let service: IsolatedService;
let health: GrpcJsClient;
let wallet: GrpcJsClient;

beforeAll(async () => {
  service = await startIsolatedService(logs);
  health = new GrpcJsClient(Health, service.port);
  wallet = new GrpcJsClient(WalletService, service.port);
});
afterAll(async () => {
  health?.close();
  wallet?.close();
  await service?.stop();
});

interface Sample {
  ms: number;
  ok: boolean;
}

/** Another user's calls, a Health Check then a ListExchangeAccounts every 20 ms, until `during` settles. */
async function victim(during: Promise<unknown>): Promise<{ health: Sample[]; list: Sample[] }> {
  const out = { health: [] as Sample[], list: [] as Sample[] };
  let done = false;
  void during.finally(() => (done = true));
  const timed = async (into: Sample[], call: () => Promise<boolean>) => {
    const started = performance.now();
    const ok = await call().catch(() => false);
    into.push({ ms: performance.now() - started, ok });
  };
  while (!done) {
    await timed(out.health, async () => (await health.unary<{ status: Serving }>('Check', {})).status === Serving.SERVING);
    await timed(out.list, async () => Array.isArray((await wallet.unary<{ exchangeAccounts: unknown[] }>('ListExchangeAccounts', {}, service.token)).exchangeAccounts));
    await sleep(20);
  }
  await during;
  return out;
}

function summary(samples: Sample[]) {
  const ms = samples.map((s) => s.ms).sort((a, b) => a - b);
  const at = (q: number) => Math.round(ms[Math.min(ms.length - 1, Math.floor(q * ms.length))]! * 10) / 10;
  return { calls: ms.length, failed: samples.filter((s) => !s.ok).length, p50: at(0.5), p99: at(0.99), max: at(1) };
}

function check(phase: string, result: { health: Sample[]; list: Sample[] }): void {
  const figures = { phase, health: summary(result.health), list: summary(result.list) };
  logs.stream().write(JSON.stringify({ msg: 'another user during an attack', ...figures }) + '\n');
  if (process.env.TEST_LOGS) process.stderr.write(JSON.stringify(figures) + '\n');
  for (const which of ['health', 'list'] as const) {
    expect(figures[which].failed, `${phase}: ${which} calls failed`).toBe(0);
    expect(figures[which].calls, `${phase}: ${which} calls made`).toBeGreaterThan(10);
    expect(figures[which].p99, `${phase}: ${which} ${JSON.stringify(figures[which])}`).toBeLessThan(500);
  }
}

it("keeps Health and another user's calls fast while one connection holds 1,000 streams it never reads", async () => {
  await victim(sleep(1000)); // warm: connections made, first calls compiled
  const attacker = neverReading(service.port, '/wallet.v1.WalletService/ListSupportedExchanges', service.token, 1000);
  try {
    check('1,000 unread streams', await victim(sleep(4000)));
    expect(attacker.answered()).toBe(100);
  } finally {
    attacker.close();
  }
}, 30_000);

it("keeps Health and another user's calls fast during a rapid-reset attack", async () => {
  // Two attacking loops of 400 resets per connection, twice the budget: they run on the same two cores as the service.
  check('rapid reset', await victim(rapidReset(service.port, '/grpc.health.v1.Health/Check', 4000, 2, 400)));
}, 30_000);

// npm run bench:exchange — per exchange, against the simulator:
//  1. our own overhead per exchange call: TestExchangeConnection latency seen by
//     a client minus the time the simulator took to answer (sequential calls), p50/p99,
//     against PRODUCT.md's bar "exchange latency + < 20 ms";
//  2. how close one account's concurrent calls get to a simulator rate limit
//     equal to ours (the catalogue's) without exceeding it.
import { perMinute } from '../../src/exchange/rate-limiter.js';
import { EXCHANGE_IDS, makeCredentials, startSimulator } from '../../test/simulator/index.js';
import { connectAccount, halfPaceGap, ownOverheads, percentile, row, startStack } from './stack.js';

const LATENCY_MS = 50;
const CALLS = Number(process.env.BENCH_CALLS ?? 200);
const RATE_WINDOWS = 6;
const BUDGETS: Record<string, number> = { binance: 1200, coinbase: 900, kraken: 30, bitfinex: 90, huobi: 600, kucoin: 600, bybit: 300, okx: 360 };

const sim = await startSimulator({ portBase: 0 });
const stack = await startStack({ WALLET_EXCHANGE_URL_OVERRIDES: JSON.stringify(sim.urlOverrides()) });
const header = ['exchange', 'calls', 'overhead p50', 'p99', 'bar p99<20ms', 'limit', 'requests', 'took', 'limit allows', 'of limit', 'violations'];
const widths = [9, 6, 13, 9, 13, 12, 9, 8, 13, 9, 10];
const lines: string[] = [];
try {
  for (const exchange of EXCHANGE_IDS) {
    const creds = makeCredentials(exchange, `bench-${exchange}`);
    const ex = sim.exchange(exchange);
    ex.addAccount({ ...creds });
    const { client, accountId: id } = await connectAccount(stack, exchange, creds);
    const limit = perMinute(BUDGETS[exchange]!);
    // Overhead: sequential calls at half the limit's pace, so no call waits for its turn.
    await client.testExchangeConnection({ id }); // markets and client warm
    ex.setLatency(LATENCY_MS);
    const gap = halfPaceGap(limit, LATENCY_MS);
    const calls = Math.min(CALLS, Math.max(5, Math.floor(30_000 / gap)));
    await new Promise((r) => setTimeout(r, gap));
    const overheads = await ownOverheads(ex, calls, gap, async () => {
      const res = await client.testExchangeConnection({ id });
      if (!res.ok) throw new Error(`${exchange}: ${res.errorReason} ${res.errorMessage}`);
    });
    // Rate: enough concurrent calls to fill RATE_WINDOWS windows, against the same limit at the simulator.
    ex.setLatency(0);
    await new Promise((r) => setTimeout(r, limit.intervalMs * 1.2)); // let the last window drain
    ex.setRateLimit({ ...limit, scope: 'key' });
    ex.clearLog();
    const violationsBefore = ex.rateLimitViolations();
    const n = limit.requests * RATE_WINDOWS;
    const results = await Promise.all(Array.from({ length: n }, () => client.testExchangeConnection({ id })));
    const times = ex.requests.map((r) => r.time).sort((a, b) => a - b);
    const span = (times[times.length - 1]! - times[0]!) / 1000;
    // The fastest the limit allows: a full window at once, then a full window per interval.
    const allowed = ((Math.ceil(times.length / limit.requests) - 1) * limit.intervalMs) / 1000;
    ex.setRateLimit(null);
    lines.push(
      row(
        [
          exchange,
          calls,
          `${percentile(overheads, 50).toFixed(1)} ms`,
          `${percentile(overheads, 99).toFixed(1)} ms`,
          percentile(overheads, 99) < 20 ? 'met' : 'MISSED',
          `${limit.requests}/${limit.intervalMs / 1000}s`,
          times.length,
          `${span.toFixed(2)} s`,
          `${allowed.toFixed(2)} s`,
          `${((allowed / span) * 100).toFixed(0)}%`,
          `${ex.rateLimitViolations() - violationsBefore}${results.every((r) => r.ok) ? '' : ' (calls failed)'}`,
        ],
        widths,
      ),
    );
    process.stderr.write(`${lines[lines.length - 1]}\n`);
  }
} finally {
  await stack.stop();
  await sim.close();
}
console.log(`\nExchange layer against the simulator. Overhead: sequential TestExchangeConnection calls (Connect over h2c) at ${LATENCY_MS} ms simulator latency,`);
console.log(`minus the time the simulator took to answer (that latency and its own work); bar: p99 < 20 ms. Rate: ${RATE_WINDOWS} windows' worth of concurrent calls on one account against a simulator limit equal to ours;`);
console.log('"of limit" = the time the limit allows for those requests / the time they took (100% = as fast as the limit allows).');
console.log(row(header, widths));
for (const line of lines) console.log(line);

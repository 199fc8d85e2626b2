// Part of `npm run bench`: against the exchange simulator, with the service as
// its own process (stack.ts):
//  1. a full sync of an account with 200 currencies at 50 ms simulator
//     latency, under a simulator rate limit equal to ours, against the time
//     that limit allows (bar: within 1.15x, zero violations);
//  2. fetching one address (RefreshDepositAddress re-reads it from the
//     exchange): latency seen by the client minus the simulator's (bar: p99 < 20 ms).
import { SyncStatus } from '../../gen/wallet/v1/sync_pb.js';
import { perMinute } from '../../src/exchange/rate-limiter.js';
import { generateCurrencies, makeCredentials, startSimulator, type ExchangeId } from '../../test/simulator/index.js';
import { connectAccount, halfPaceGap, ownOverheads, percentile, row, startStack } from './stack.js';

const LATENCY_MS = 50;
const CURRENCIES = 200;
const FETCHES = Number(process.env.BENCH_FETCHES ?? 200);
/** One exchange per way of reading addresses: one call per network (binance), one per currency (okx, bybit). */
const EXCHANGES: { id: ExchangeId; perMinute: number }[] = [
  { id: 'binance', perMinute: 1200 },
  { id: 'okx', perMinute: 360 },
  { id: 'bybit', perMinute: 300 },
];

const sim = await startSimulator({ portBase: 0, exchanges: EXCHANGES.map((e) => e.id) });
const stack = await startStack({ WALLET_EXCHANGE_URL_OVERRIDES: JSON.stringify(sim.urlOverrides()) });
const syncRows: string[] = [];
const fetchRows: string[] = [];
const syncWidths = [9, 10, 9, 10, 13, 8, 11, 10];
const fetchWidths = [9, 6, 13, 9, 13];
try {
  for (const { id, perMinute: budget } of EXCHANGES) {
    const limit = perMinute(budget);
    const creds = makeCredentials(id, `bench-sync-${id}`);
    const ex = sim.exchange(id);
    ex.addAccount({ ...creds, currencies: generateCurrencies(CURRENCIES, `bench-${id}`) });
    const { client, accountId } = await connectAccount(stack, id, creds);
    await client.listExchangeCurrencies({ exchangeId: id, exchangeAccountId: accountId }); // markets loaded, as for a scheduled sync
    await new Promise((r) => setTimeout(r, limit.intervalMs * 1.2));

    ex.setLatency(LATENCY_MS);
    ex.setRateLimit({ ...limit, scope: 'key' });
    ex.clearLog();
    const violations = ex.rateLimitViolations();
    const started = performance.now();
    let status = SyncStatus.UNSPECIFIED;
    let pairs = 0;
    for await (const m of client.syncDepositAddresses({ exchangeAccountId: accountId })) {
      if (m.event.case === 'started') pairs = m.event.value.total;
      if (m.event.case === 'completed') status = m.event.value.syncRun!.status;
    }
    const took = (performance.now() - started) / 1000;
    const requests = ex.requests.filter((r) => r.apiKey === creds.apiKey).length;
    const bound = ((Math.ceil(requests / limit.requests) - 1) * limit.intervalMs + LATENCY_MS) / 1000;
    syncRows.push(
      row(
        [id, `${limit.requests}/${limit.intervalMs / 1000}s`, pairs, requests, `${took.toFixed(2)} s`, `${bound.toFixed(2)} s`, `${(took / bound).toFixed(3)}x ${took / bound <= 1.15 ? 'met' : 'MISSED'}`, `${ex.rateLimitViolations() - violations}${status === SyncStatus.SUCCEEDED ? '' : ` (${SyncStatus[status]})`}`],
        syncWidths,
      ),
    );
    process.stderr.write(`${syncRows[syncRows.length - 1]}\n`);

    // Fetch one address: sequential refreshes at half the limit's pace, so none waits for its turn.
    ex.setRateLimit(null);
    const addresses = (await client.listDepositAddresses({ exchangeAccountId: accountId, pageSize: 500 })).depositAddresses;
    const gap = halfPaceGap(limit, LATENCY_MS);
    const calls = Math.min(FETCHES, Math.floor(30_000 / gap));
    const overheads = await ownOverheads(ex, calls, gap, async (i) => {
      await client.refreshDepositAddress({ id: addresses[i % addresses.length]!.id });
    });
    fetchRows.push(row([id, calls, `${percentile(overheads, 50).toFixed(1)} ms`, `${percentile(overheads, 99).toFixed(1)} ms`, percentile(overheads, 99) < 20 ? 'met' : 'MISSED'], fetchWidths));
    process.stderr.write(`${fetchRows[fetchRows.length - 1]}\n`);
    ex.setLatency(0);
  }
} finally {
  await stack.stop();
  await sim.close();
}
console.log(`\nFull sync of ${CURRENCIES} currencies at ${LATENCY_MS} ms simulator latency, simulator limit = ours (the catalogue's). Bound = the time that limit allows for the requests made + one latency.`);
console.log(row(['exchange', 'limit', 'pairs', 'requests', 'took', 'bound', 'took/bound', 'violations'], syncWidths));
for (const line of syncRows) console.log(line);
console.log(`\nFetch one address (RefreshDepositAddress, Connect over h2c, sequential) minus the time the simulator took to answer (its ${LATENCY_MS} ms latency and its own work); bar: p99 < 20 ms.`);
console.log(row(['exchange', 'calls', 'overhead p50', 'p99', 'bar p99<20ms'], fetchWidths));
for (const line of fetchRows) console.log(line);

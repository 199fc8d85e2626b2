import { expect, it } from 'vitest';
import { useExchangeHarness } from '../support/exchange-harness.js';
import { useLogCapture } from '../support/log-capture.js';
import { EXCHANGE_IDS, type ExchangeId, type FaultKind } from '../simulator/index.js';

const logs = useLogCapture();
// Kraken's real budget (30/min) would make this file about retries take minutes; limits have their own tests.
const fast = { perAccount: { requests: 50, intervalMs: 1000 } };
const h = useExchangeHarness(logs, { WALLET_EXCHANGE_RATE_LIMITS: JSON.stringify(Object.fromEntries(EXCHANGE_IDS.map((id) => [id, fast]))) }, { resetBeforeEach: false });

/** The reason each injected fault must come back as; CCXT knows no maintenance code for three exchanges. */
function expectedReason(exchange: ExchangeId, kind: FaultKind): string {
  switch (kind) {
    case 'auth':
      return 'EXCHANGE_CREDENTIALS_INVALID';
    case 'permission':
      return 'EXCHANGE_KEY_PERMISSION_MISSING'; // Coinbase's 403 too, which CCXT reads as ExchangeNotAvailable
    case 'rate_limit':
      return 'EXCHANGE_RATE_LIMITED';
    case 'maintenance':
      return ['kraken', 'kucoin', 'bybit'].includes(exchange) ? 'EXCHANGE_UNAVAILABLE' : 'EXCHANGE_MAINTENANCE';
    default:
      return 'EXCHANGE_UNAVAILABLE';
  }
}

const KINDS: FaultKind[] = ['auth', 'permission', 'rate_limit', 'maintenance', 'server_error', 'timeout', 'malformed'];

// One test per exchange, run side by side (each has its own simulated exchange); the faults of one exchange run in turn.
it.concurrent.each(EXCHANGE_IDS)('%s: maps every injected fault to its reason, retrying only what may pass', async (exchange) => {
  const { client, accountId, creds } = await h.connect(exchange);
  expect((await client.testExchangeConnection({ id: accountId })).ok).toBe(true); // markets loaded, client cached
  const ex = h.sim.exchange(exchange);
  // Faults are answered before the simulator reads the key, so count every request of this exchange.
  const sent = () => ex.requests.filter((r) => r.apiKey === undefined || r.apiKey === creds.apiKey).length;
  // The requests of a passing test (HTX asks for the key's UID first, then for the key).
  let before = sent();
  expect((await client.testExchangeConnection({ id: accountId })).ok).toBe(true);
  const perTest = sent() - before;
  for (const kind of KINDS) {
    const retriable = expectedReason(exchange, kind) !== 'EXCHANGE_CREDENTIALS_INVALID' && expectedReason(exchange, kind) !== 'EXCHANGE_KEY_PERMISSION_MISSING';
    try {
      ex.injectFault({ kind, durationMs: 60_000 });
      before = sent();
      const res = await client.testExchangeConnection({ id: accountId });
      expect(res, kind).toMatchObject({ ok: false, errorReason: expectedReason(exchange, kind) });
      expect(sent() - before, `${kind}: attempts`).toBe(retriable ? 4 : 1);
      ex.clearFaults();

      // A one-off retriable fault is absorbed by a retry: the caller sees success.
      if (retriable && kind !== 'timeout') {
        ex.injectFault({ kind, count: 1 });
        before = sent();
        expect((await client.testExchangeConnection({ id: accountId })).ok, `${kind}: once`).toBe(true);
        expect(sent() - before, `${kind}: attempts after one fault`).toBe(1 + perTest);
      }
    } finally {
      ex.clearFaults();
    }
  }
});

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { WalletService } from '../../gen/wallet/v1/wallet_service_pb.js';
import { EXCHANGE_IDS, type ExchangeId, makeCredentials, type SimCurrency, type SimPermissions, type Simulator, startSimulator } from '../simulator/index.js';
import { connectClient } from './clients.js';
import type { LogCapture } from './log-capture.js';
import { startTestService, type TestService } from './service.js';

/** A simulator key, connected through the service as an exchange account. */
export interface Connected {
  readonly client: ReturnType<typeof connectClient<typeof WalletService>>;
  readonly accountId: string;
  readonly userId: string;
  readonly creds: ReturnType<typeof makeCredentials>;
}

/** The simulated key and account to connect. */
export interface ConnectOptions {
  readonly withdraw?: boolean;
  /** More of what the exchange tells about the key (IP binding, expiry). */
  readonly permissions?: Partial<SimPermissions>;
  /** The exchange user the key belongs to (HTX lists every key of a UID). */
  readonly uid?: number;
  readonly userId?: string;
  readonly currencies?: SimCurrency[];
}

export interface ExchangeHarness {
  readonly sim: Simulator;
  readonly svc: TestService;
  connect(exchange: ExchangeId, opts?: ConnectOptions): Promise<Connected>;
}

/**
 * Starts, for one test file, the exchange simulator and a service pointed at
 * it through WALLET_EXCHANGE_URL_OVERRIDES; clears faults, rate limits and
 * latency before each test unless told not to. Every credential it hands out is registered as a secret.
 */
export function useExchangeHarness(logs: LogCapture, env: Record<string, string> = {}, options: { resetBeforeEach?: boolean } = {}): ExchangeHarness {
  let sim: Simulator | undefined;
  let svc: TestService | undefined;
  beforeAll(async () => {
    sim = await startSimulator({ portBase: 0 });
    svc = await startTestService(logs, {
      vault: false,
      env: { WALLET_EXCHANGE_URL_OVERRIDES: JSON.stringify(sim.urlOverrides()), WALLET_EXCHANGE_TIMEOUT_MS: '800', ...env },
    });
  });
  afterAll(async () => {
    await svc?.stop();
    await sim?.close();
  });
  beforeEach(() => {
    if (options.resetBeforeEach === false) return; // tests running side by side reset their own exchange
    for (const id of EXCHANGE_IDS) {
      sim!.exchange(id).clearFaults();
      sim!.exchange(id).setRateLimit(null);
      sim!.exchange(id).setLatency(0);
    }
  });
  return {
    get sim() {
      return sim!;
    },
    get svc() {
      return svc!;
    },
    async connect(exchange, opts = {}) {
      const creds = makeCredentials(exchange, randomUUID());
      logs.registerSecret(creds.apiKey, creds.secret, ...(creds.passphrase ? [creds.passphrase] : []));
      sim!.exchange(exchange).addAccount({
        ...creds,
        permissions: { read: true, trade: true, withdraw: opts.withdraw ?? false, ...opts.permissions },
        currencies: opts.currencies,
        uid: opts.uid,
      });
      const userId = opts.userId ?? randomUUID();
      const client = connectClient(WalletService, svc!.baseUrl, await svc!.token(userId));
      const { exchangeAccount } = await client.createExchangeAccount({
        exchangeId: exchange,
        accountName: `acct-${randomUUID().slice(0, 8)}`,
        credentials: { apiKey: creds.apiKey, apiSecret: creds.secret, passphrase: creds.passphrase ?? '' },
      });
      return { client, accountId: exchangeAccount!.id, userId, creds };
    },
  };
}

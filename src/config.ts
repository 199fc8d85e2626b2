import path from "node:path";

/** Our stable exchange ids; each maps to a CCXT class in the catalogue. */
export const EXCHANGE_IDS = ["binance", "coinbase", "kraken", "bitfinex", "huobi", "kucoin", "bybit", "okx"] as const;
export type ExchangeId = (typeof EXCHANGE_IDS)[number];

/** How the service reaches Vault/OpenBao transit. */
export interface VaultConfig {
  readonly address: string;
  readonly auth: { readonly token: string } | { readonly roleId: string; readonly secretId: string };
  readonly transitMount: string;
  readonly transitKey: string;
  readonly timeoutMs: number;
}

/** How bearer tokens are verified; unset fields mean "not checked". */
export interface JwtConfig {
  readonly secret?: string;
  readonly publicKey?: string;
  readonly jwksUrl?: string;
  readonly issuer?: string;
  readonly audience?: string;
}

/** At most `requests` calls to an exchange in any `intervalMs`. */
export interface RateLimitOverride {
  readonly requests: number;
  readonly intervalMs: number;
}

/** Per exchange: limits that replace the catalogue's (a higher API tier, a proxy with its own limit). */
export type ExchangeLimitOverrides = Readonly<
  Partial<Record<string, { readonly perAccount?: RateLimitOverride; readonly perUser?: RateLimitOverride; readonly perExchange?: RateLimitOverride }>>
>;

/** Everything the service reads from its environment, parsed and checked once at start-up. */
export interface Config {
  readonly port: number;
  readonly production: boolean;
  /** Unset: the embedded PostgreSQL under dataDir. */
  readonly databaseUrl?: string;
  readonly dataDir: string;
  /** Unset: the local key file under dataDir (refused in production). */
  readonly vault?: VaultConfig;
  /** No secret, key or JWKS: the embedded default generates a dev secret under dataDir. */
  readonly jwt: JwtConfig;
  readonly exchangeUrlOverrides: Readonly<Partial<Record<ExchangeId, string>>>;
  readonly exchangeRateLimits: ExchangeLimitOverrides;
  /** How long one HTTP request to an exchange may take. */
  readonly exchangeTimeoutMs: number;
  /** How often stale accounts are queued for an incremental sync; undefined: never. */
  readonly syncIntervalMs?: number;
  /** Sync jobs this replica runs at once per exchange; 0: it runs none (others do). */
  readonly syncWorkersPerExchange: number;
  /** How long an exchange's markets and currencies are used before they are loaded again. */
  readonly marketsTtlMs: number;
  /** What happens to a key that can withdraw or whose permissions are unknown: refused (strict) or warned about. */
  readonly keyPolicy: KeyPolicyMode;
  /** WALLET_UNARY_HANDLER: unary calls answered by src/rpc/unary-handler.ts (true) or, like streams, by connect-node (false). */
  readonly unaryHandler: boolean;
  readonly logLevel: string;
}

/** WALLET_KEY_POLICY: `strict` refuses risky or unverifiable keys for exchange operations; `warn` only warns. */
export type KeyPolicyMode = "strict" | "warn";

/** A configuration mistake; its message names the variable. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

/** Parses the environment into one frozen Config, or throws a ConfigError naming the variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const production = env.NODE_ENV === "production";
  const vault = parseVault(env);
  if (production && !vault) {
    throw new ConfigError("VAULT_ADDR is required when NODE_ENV=production (the local key file is for development only)");
  }
  const jwt = parseJwt(env);
  if (production && !jwt.secret && !jwt.publicKey && !jwt.jwksUrl) {
    throw new ConfigError("WALLET_JWT_SECRET, WALLET_JWT_PUBLIC_KEY or WALLET_JWT_JWKS_URL is required when NODE_ENV=production");
  }
  const logLevel = env.LOG_LEVEL ?? "info";
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}, got "${logLevel}"`);
  }
  return Object.freeze({
    port: parsePort(env.WALLET_PORT),
    production,
    databaseUrl: parseDatabaseUrl(env.DATABASE_URL),
    dataDir: path.resolve(env.WALLET_DATA_DIR || ".wallet-data"),
    vault,
    jwt,
    exchangeUrlOverrides: parseUrlOverrides(env.WALLET_EXCHANGE_URL_OVERRIDES),
    exchangeRateLimits: parseRateLimits(env.WALLET_EXCHANGE_RATE_LIMITS),
    exchangeTimeoutMs: parseMs("WALLET_EXCHANGE_TIMEOUT_MS", env.WALLET_EXCHANGE_TIMEOUT_MS, 10_000, 100, 120_000),
    marketsTtlMs: parseMs("WALLET_MARKETS_TTL_MS", env.WALLET_MARKETS_TTL_MS, 3_600_000, 1000, 86_400_000),
    syncIntervalMs: parseSyncInterval(env.WALLET_SYNC_INTERVAL),
    syncWorkersPerExchange: parseSyncWorkers(env.WALLET_SYNC_WORKERS_PER_EXCHANGE),
    keyPolicy: parseKeyPolicy(env.WALLET_KEY_POLICY, production),
    unaryHandler: parseUnaryHandler(env.WALLET_UNARY_HANDLER),
    logLevel,
  });
}

function parsePort(value: string | undefined): number {
  if (value === undefined || value === "") return 50051;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(`WALLET_PORT must be an integer from 0 to 65535, got "${value}"`);
  }
  return port;
}

function parseMs(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined || value === "") return fallback;
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms < min || ms > max) {
    throw new ConfigError(`${name} must be a number of milliseconds from ${min} to ${max}, got "${value}"`);
  }
  return ms;
}

const DURATION_UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000 };

/** "90s", "15m", "1h"; unset, "0" or "off" turn the periodic sync off. At most 12h (pg-boss's throttle window). */
function parseSyncInterval(value: string | undefined): number | undefined {
  if (value === undefined || value === "" || value === "0" || value.toLowerCase() === "off") return undefined;
  const match = /^(\d+)(s|m|h)$/.exec(value.trim());
  const ms = match ? Number(match[1]) * DURATION_UNITS[match[2]!]! : NaN;
  if (!(ms >= 1000 && ms <= 12 * 3_600_000)) {
    throw new ConfigError(`WALLET_SYNC_INTERVAL must be a duration from 1s to 12h such as "15m", or "off", got "${value}"`);
  }
  return ms;
}

function parseSyncWorkers(value: string | undefined): number {
  if (value === undefined || value === "") return 2;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 32) {
    throw new ConfigError(`WALLET_SYNC_WORKERS_PER_EXCHANGE must be an integer from 0 to 32, got "${value}"`);
  }
  return n;
}

function parseKeyPolicy(value: string | undefined, production: boolean): KeyPolicyMode {
  if (value === undefined || value === "") return production ? "strict" : "warn";
  if (value !== "strict" && value !== "warn") throw new ConfigError(`WALLET_KEY_POLICY must be "strict" or "warn", got "${value}"`);
  return value;
}

/** "on" (default) or "off": the way out to stock connect-node should the unary handler misbehave. */
function parseUnaryHandler(value: string | undefined): boolean {
  if (value === undefined || value === "" || value === "on") return true;
  if (value === "off") return false;
  throw new ConfigError(`WALLET_UNARY_HANDLER must be "on" or "off", got "${value}"`);
}

function parseDatabaseUrl(value: string | undefined): string | undefined {
  if (!value) return undefined;
  if (!/^postgres(ql)?:\/\//.test(value) || !URL.canParse(value)) {
    throw new ConfigError("DATABASE_URL must be a postgres:// or postgresql:// URL");
  }
  return value;
}

function parseVault(env: NodeJS.ProcessEnv): VaultConfig | undefined {
  const address = env.VAULT_ADDR;
  if (!address) {
    if (env.VAULT_TOKEN || env.VAULT_ROLE_ID) throw new ConfigError("VAULT_ADDR must be set when VAULT_TOKEN or VAULT_ROLE_ID is");
    return undefined;
  }
  if (!/^https?:\/\//.test(address) || !URL.canParse(address)) {
    throw new ConfigError("VAULT_ADDR must be an http:// or https:// URL");
  }
  let auth: VaultConfig["auth"];
  if (env.VAULT_TOKEN) {
    auth = { token: env.VAULT_TOKEN };
  } else if (env.VAULT_ROLE_ID && env.VAULT_SECRET_ID) {
    auth = { roleId: env.VAULT_ROLE_ID, secretId: env.VAULT_SECRET_ID };
  } else {
    throw new ConfigError("VAULT_TOKEN, or VAULT_ROLE_ID with VAULT_SECRET_ID, must be set when VAULT_ADDR is");
  }
  const name = /^[A-Za-z0-9_.-]+$/;
  const transitMount = env.VAULT_TRANSIT_MOUNT || "transit";
  const transitKey = env.VAULT_TRANSIT_KEY || "wallet-credentials";
  if (!name.test(transitMount)) throw new ConfigError("VAULT_TRANSIT_MOUNT may only hold letters, digits, '_', '.' and '-'");
  if (!name.test(transitKey)) throw new ConfigError("VAULT_TRANSIT_KEY may only hold letters, digits, '_', '.' and '-'");
  return { address: address.replace(/\/+$/, ""), auth, transitMount, transitKey, timeoutMs: 5000 };
}

function parseJwt(env: NodeJS.ProcessEnv): JwtConfig {
  const jwt: JwtConfig = {
    secret: env.WALLET_JWT_SECRET || undefined,
    publicKey: env.WALLET_JWT_PUBLIC_KEY || undefined,
    jwksUrl: env.WALLET_JWT_JWKS_URL || undefined,
    issuer: env.WALLET_JWT_ISSUER || undefined,
    audience: env.WALLET_JWT_AUDIENCE || undefined,
  };
  const set = [jwt.secret, jwt.publicKey, jwt.jwksUrl].filter(Boolean).length;
  if (set > 1) {
    throw new ConfigError("WALLET_JWT_SECRET, WALLET_JWT_PUBLIC_KEY and WALLET_JWT_JWKS_URL are exclusive: set one");
  }
  if (jwt.secret && Buffer.byteLength(jwt.secret) < 32) {
    throw new ConfigError("WALLET_JWT_SECRET must be at least 32 bytes long (HS256)");
  }
  if (jwt.publicKey && !jwt.publicKey.includes("-----BEGIN PUBLIC KEY-----")) {
    throw new ConfigError("WALLET_JWT_PUBLIC_KEY must be a PEM SPKI public key (-----BEGIN PUBLIC KEY-----)");
  }
  if (jwt.jwksUrl && (!/^https?:\/\//.test(jwt.jwksUrl) || !URL.canParse(jwt.jwksUrl))) {
    throw new ConfigError("WALLET_JWT_JWKS_URL must be an http:// or https:// URL");
  }
  return jwt;
}

function parseUrlOverrides(value: string | undefined): Partial<Record<ExchangeId, string>> {
  if (!value) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new ConfigError('WALLET_EXCHANGE_URL_OVERRIDES must be a JSON object such as {"binance":"http://127.0.0.1:18000"}');
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError('WALLET_EXCHANGE_URL_OVERRIDES must be a JSON object such as {"binance":"http://127.0.0.1:18000"}');
  }
  const overrides: Partial<Record<ExchangeId, string>> = {};
  for (const [exchangeId, base] of Object.entries(parsed)) {
    if (!(EXCHANGE_IDS as readonly string[]).includes(exchangeId)) {
      throw new ConfigError(`WALLET_EXCHANGE_URL_OVERRIDES has an unknown exchange "${exchangeId}" (known: ${EXCHANGE_IDS.join(", ")})`);
    }
    if (typeof base !== "string" || !/^https?:\/\/[^/]+\/?$/.test(base)) {
      throw new ConfigError(`WALLET_EXCHANGE_URL_OVERRIDES.${exchangeId} must be a base URL such as "http://127.0.0.1:18000"`);
    }
    overrides[exchangeId as ExchangeId] = base.replace(/\/$/, "");
  }
  return overrides;
}

function parseRateLimits(value: string | undefined): ExchangeLimitOverrides {
  if (!value) return {};
  const example = '{"binance":{"perAccount":{"requests":20,"intervalMs":1000},"perExchange":{"requests":100,"intervalMs":1000}}}';
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new ConfigError(`WALLET_EXCHANGE_RATE_LIMITS must be JSON such as ${example}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`WALLET_EXCHANGE_RATE_LIMITS must be a JSON object such as ${example}`);
  }
  const out: Record<string, Record<string, RateLimitOverride>> = {};
  for (const [exchangeId, levels] of Object.entries(parsed)) {
    if (!(EXCHANGE_IDS as readonly string[]).includes(exchangeId)) {
      throw new ConfigError(`WALLET_EXCHANGE_RATE_LIMITS has an unknown exchange "${exchangeId}"`);
    }
    out[exchangeId] = {};
    for (const [level, limit] of Object.entries((levels ?? {}) as Record<string, unknown>)) {
      const l = limit as { requests?: unknown; intervalMs?: unknown };
      const valid = ["perAccount", "perUser", "perExchange"].includes(level) && Number.isInteger(l?.requests) && (l.requests as number) > 0 && Number.isInteger(l?.intervalMs) && (l.intervalMs as number) > 0;
      if (!valid) {
        throw new ConfigError(`WALLET_EXCHANGE_RATE_LIMITS.${exchangeId}.${level} must be {"requests": n, "intervalMs": ms} under perAccount, perUser or perExchange`);
      }
      out[exchangeId][level] = { requests: l.requests as number, intervalMs: l.intervalMs as number };
    }
  }
  return out;
}

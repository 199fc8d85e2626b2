import { ConnectionException, DriverException, UniqueConstraintViolationException } from "@mikro-orm/core";
import { DomainError } from "../errors.js";

/** PostgreSQL and socket error codes that mean "the database is not reachable right now". */
const UNREACHABLE_CODES = new Set([
  "ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENOTFOUND",
  "57P01", "57P02", "57P03", // admin shutdown, crash shutdown, cannot connect now
  "08000", "08001", "08003", "08004", "08006", // connection exceptions
]);

/** The database cannot be reached: UNAVAILABLE, retry soon. */
export class DatabaseUnavailableError extends DomainError {
  constructor() {
    super("unavailable", "DATABASE_UNAVAILABLE", "the database is unavailable; retry later", { retryAfterMs: 2000 });
  }
}

/**
 * Recognises a database outage in whatever the ORM, knex or pg threw, so the
 * client gets UNAVAILABLE with retry advice instead of INTERNAL. A pool with
 * every connection in use is one: knex throws KnexTimeoutError, which
 * MikroORM's queries (em.find and the like) wrap into a DriverException that
 * keeps only knex's message (its name and class are MikroORM's).
 */
export function databaseErrorOf(err: unknown): DomainError | undefined {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (isOutage(e)) return new DatabaseUnavailableError();
  }
  return undefined;
}

const KNEX_POOL_TIMEOUT = "Knex: Timeout acquiring a connection";

function isOutage(e: Error & { code?: unknown }): boolean {
  if (e instanceof ConnectionException || e.name === "KnexTimeoutError") return true;
  if (e instanceof DriverException && e.message.startsWith(KNEX_POOL_TIMEOUT)) return true;
  if (typeof e.code === "string" && UNREACHABLE_CODES.has(e.code)) return true;
  // The last: pg-pool's own "timeout exceeded when trying to connect".
  return /Connection terminated|connection is closed|Client has encountered a connection error|timeout exceeded when trying to connect/i.test(e.message);
}

/** A unique index refused a row: from an ORM flush, or from plain SQL (which the ORM does not translate). */
export function isUniqueViolation(err: unknown): boolean {
  return err instanceof UniqueConstraintViolationException || (err as { code?: unknown } | undefined)?.code === "23505";
}

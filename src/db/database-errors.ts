import { ConnectionException, UniqueConstraintViolationException } from "@mikro-orm/core";
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
 * client gets UNAVAILABLE with retry advice instead of INTERNAL.
 */
export function databaseErrorOf(err: unknown): DomainError | undefined {
  if (err instanceof ConnectionException) return new DatabaseUnavailableError();
  const e = err as { name?: unknown; code?: unknown; message?: unknown } | undefined;
  if (e?.name === "KnexTimeoutError") return new DatabaseUnavailableError();
  if (typeof e?.code === "string" && UNREACHABLE_CODES.has(e.code)) return new DatabaseUnavailableError();
  if (typeof e?.message === "string" && /Connection terminated|connection is closed|Client has encountered a connection error/i.test(e.message)) {
    return new DatabaseUnavailableError();
  }
  return undefined;
}

/** A unique index refused a row: from an ORM flush, or from plain SQL (which the ORM does not translate). */
export function isUniqueViolation(err: unknown): boolean {
  return err instanceof UniqueConstraintViolationException || (err as { code?: unknown } | undefined)?.code === "23505";
}

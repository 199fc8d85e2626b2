/**
 * Domain errors: what went wrong in the service's own terms. Each carries a
 * stable reason from PRODUCT.md; the RPC layer alone maps them to codes and
 * error details, so the domain never imports Connect.
 */

import type { ErrorReason } from "./error-reasons.js";

/** The gRPC code family a domain error belongs to. */
export type ErrorKind =
  | "invalid_argument"
  | "not_found"
  | "already_exists"
  | "failed_precondition"
  | "permission_denied"
  | "unauthenticated"
  | "resource_exhausted"
  | "unavailable"
  | "aborted"
  | "deadline_exceeded"
  | "internal";

/** One bad field of a request, named by its proto path ("credentials.api_key"). */
export interface FieldViolation {
  readonly field: string;
  readonly description: string;
}

export interface DomainErrorOptions {
  readonly metadata?: Readonly<Record<string, string>>;
  /** When retrying is worth it: how long to wait first. */
  readonly retryAfterMs?: number;
  readonly violations?: readonly FieldViolation[];
  readonly cause?: unknown;
}

/** An error the service expects and explains to its caller. */
export class DomainError extends Error {
  override name = "DomainError";
  readonly metadata: Readonly<Record<string, string>>;
  readonly retryAfterMs?: number;
  readonly violations: readonly FieldViolation[];

  constructor(
    readonly kind: ErrorKind,
    readonly reason: ErrorReason,
    message: string,
    options: DomainErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.metadata = options.metadata ?? {};
    this.retryAfterMs = options.retryAfterMs;
    this.violations = options.violations ?? [];
  }
}

/** Bad input: INVALID_ARGUMENT naming every bad field. */
export class ValidationError extends DomainError {
  constructor(violations: readonly FieldViolation[]) {
    const fields = violations.map((v) => `${v.field}: ${v.description}`).join("; ");
    super("invalid_argument", "VALIDATION_FAILED", `invalid request: ${fields}`, { violations });
  }
}

const NOT_FOUND = { "exchange account": "EXCHANGE_ACCOUNT_NOT_FOUND", "deposit address": "DEPOSIT_ADDRESS_NOT_FOUND" } as const satisfies Record<string, ErrorReason>;

/** A resource that does not exist, or belongs to someone else (callers can't tell which). */
export class NotFoundError extends DomainError {
  constructor(resource: keyof typeof NOT_FOUND, id: string) {
    super("not_found", NOT_FOUND[resource], `${resource} ${id} not found`, {
      metadata: { id },
    });
  }
}

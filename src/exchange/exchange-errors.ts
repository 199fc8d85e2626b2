import type { ErrorReason } from "../error-reasons.js";
import { ccxtErrors } from "./ccxt-modules.js";
import { DomainError } from "../errors.js";
import { redactSecrets } from "../logger.js";

/** What a translated exchange error needs to know about the call. */
export interface ErrorContext {
  readonly exchangeId: string;
  readonly currency?: string;
  readonly network?: string;
  /** The account's credentials: scrubbed from anything the exchange said. */
  readonly secrets: readonly (string | undefined)[];
  /** How long the exchange asked us to wait, when it did. */
  readonly retryAfterMs?: number;
}

const DEFAULT_RETRY_MS = { rateLimited: 1000, unavailable: 5000, maintenance: 60_000 };

/**
 * Turns a CCXT error into a domain error with a PRODUCT.md reason, at the
 * boundary of the exchange layer. The exchange's own message goes into the
 * metadata with credentials and query strings (HTX signs in the URL) removed.
 */
export function toDomainError(err: unknown, ctx: ErrorContext): DomainError {
  if (err instanceof DomainError) return err;
  const metadata: Record<string, string> = { exchange: ctx.exchangeId };
  if (ctx.currency) metadata.currency = ctx.currency;
  if (ctx.network) metadata.network = ctx.network;
  metadata.exchangeError = exchangeMessage(err, ctx);
  const named = (kind: DomainError["kind"], reason: ErrorReason, message: string, retryAfterMs?: number) =>
    new DomainError(kind, reason, message, { metadata, retryAfterMs });

  if (err instanceof ccxtErrors.PermissionDenied) {
    return named("failed_precondition", "EXCHANGE_KEY_PERMISSION_MISSING", `the ${ctx.exchangeId} API key lacks a permission this call needs`);
  }
  if (err instanceof ccxtErrors.AuthenticationError) {
    return named("failed_precondition", "EXCHANGE_CREDENTIALS_INVALID", `${ctx.exchangeId} rejected the account's API key, secret or passphrase`);
  }
  if (err instanceof ccxtErrors.RateLimitExceeded || err instanceof ccxtErrors.DDoSProtection) {
    return named("resource_exhausted", "EXCHANGE_RATE_LIMITED", `${ctx.exchangeId} rate limit reached; retry later`, ctx.retryAfterMs ?? DEFAULT_RETRY_MS.rateLimited);
  }
  if (err instanceof ccxtErrors.OnMaintenance) {
    return named("unavailable", "EXCHANGE_MAINTENANCE", `${ctx.exchangeId} is under maintenance; retry later`, ctx.retryAfterMs ?? DEFAULT_RETRY_MS.maintenance);
  }
  if (err instanceof ccxtErrors.NetworkError || err instanceof ccxtErrors.BadResponse) {
    return named("unavailable", "EXCHANGE_UNAVAILABLE", `${ctx.exchangeId} is not answering properly; retry later`, ctx.retryAfterMs ?? DEFAULT_RETRY_MS.unavailable);
  }
  if (err instanceof ccxtErrors.BadSymbol || (err instanceof ccxtErrors.BadRequest && ctx.currency)) {
    return new DomainError("invalid_argument", "CURRENCY_NOT_SUPPORTED", `${ctx.exchangeId} does not support ${ctx.currency ?? "this currency"}`, {
      metadata,
      violations: [{ field: "currency", description: `not supported by ${ctx.exchangeId}` }],
    });
  }
  if (err instanceof ccxtErrors.NotSupported) {
    return named("failed_precondition", "EXCHANGE_NOT_SUPPORTED", `${ctx.exchangeId} does not support this operation`);
  }
  return named("failed_precondition", "EXCHANGE_API_ERROR", `${ctx.exchangeId} refused the request`);
}

/** Whether retrying the same call may succeed: network trouble, 5xx, maintenance, rate limits. */
export function isRetriable(err: unknown): boolean {
  if (err instanceof DomainError) return ["EXCHANGE_RATE_LIMITED", "EXCHANGE_UNAVAILABLE", "EXCHANGE_MAINTENANCE"].includes(err.reason);
  return err instanceof ccxtErrors.NetworkError || err instanceof ccxtErrors.BadResponse;
}

function exchangeMessage(err: unknown, ctx: ErrorContext): string {
  const raw = err instanceof Error ? err.message : String(err);
  const scrubbed = redactSecrets(raw, ctx.secrets).replace(/(https?:\/\/[^\s?"]+)\?[^\s"]*/g, "$1?…");
  return scrubbed.length > 500 ? `${scrubbed.slice(0, 500)}…` : scrubbed;
}

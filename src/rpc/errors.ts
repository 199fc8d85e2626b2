import { create, type DescMessage } from "@bufbuild/protobuf";
import { anyPack, durationFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { type DomainError, type ErrorKind } from "../errors.js";
import { BadRequestSchema, ErrorInfoSchema, RetryInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { type Status, StatusSchema } from "../../gen/google/rpc/status_pb.js";

const CODE_OF: Record<ErrorKind, Code> = {
  invalid_argument: Code.InvalidArgument,
  not_found: Code.NotFound,
  already_exists: Code.AlreadyExists,
  failed_precondition: Code.FailedPrecondition,
  permission_denied: Code.PermissionDenied,
  unauthenticated: Code.Unauthenticated,
  resource_exhausted: Code.ResourceExhausted,
  unavailable: Code.Unavailable,
  aborted: Code.Aborted,
  deadline_exceeded: Code.DeadlineExceeded,
  internal: Code.Internal,
};

/** The error domain of every ErrorInfo the service sends. */
export const ERROR_DOMAIN = "wallet";

/** A domain error as the client sees it: code, message, ErrorInfo and, where they apply, RetryInfo and BadRequest. */
export function connectErrorOf(err: DomainError): ConnectError {
  return new ConnectError(err.message, CODE_OF[err.kind], undefined, detailsOf(err));
}

/** A domain error as a google.rpc.Status: one item's failure inside a batch answer. */
export function statusOf(err: DomainError): Status {
  return create(StatusSchema, {
    code: CODE_OF[err.kind],
    message: err.message,
    details: detailsOf(err).map((d) => anyPack(d.desc, create(d.desc, d.value as never))),
  });
}

function detailsOf(err: DomainError) {
  const details: { desc: DescMessage; value: Record<string, unknown> }[] = [
    { desc: ErrorInfoSchema, value: { reason: err.reason, domain: ERROR_DOMAIN, metadata: { ...err.metadata } } },
  ];
  if (err.retryAfterMs !== undefined) {
    details.push({ desc: RetryInfoSchema, value: { retryDelay: durationFromMs(err.retryAfterMs) } });
  }
  if (err.violations.length > 0) {
    details.push({
      desc: BadRequestSchema,
      value: create(BadRequestSchema, {
        fieldViolations: err.violations.map((v) => ({ field: v.field, description: v.description, reason: "INVALID" })),
      }),
    });
  }
  return details;
}

/** What an unexpected error becomes: nothing of its internals reaches the client. */
export function internalError(): ConnectError {
  return new ConnectError("internal error", Code.Internal, undefined, [
    { desc: ErrorInfoSchema, value: { reason: "INTERNAL", domain: ERROR_DOMAIN, metadata: {} } },
  ]);
}

/** "NOT_FOUND" for Code.NotFound: the gRPC spelling, for logs and metrics. */
export function codeName(code: Code | undefined): string {
  if (code === undefined) return "OK";
  return Code[code].replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
}

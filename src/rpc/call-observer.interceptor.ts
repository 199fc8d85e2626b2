import { performance } from "node:perf_hooks";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { DomainError } from "../errors.js";
import type { Logger } from "../logger.js";
import { codeName, connectErrorOf, internalError } from "./errors.js";
import { callerKey, requestInfoKey } from "./context.js";
import type { InFlight } from "./in-flight.js";
import type { Metrics } from "./metrics.js";

/** Turns an infrastructure error into the domain error it means, or undefined. */
export type ErrorTranslator = (err: unknown) => DomainError | undefined;

const SERVER_FAULTS = new Set([Code.Internal, Code.Unknown, Code.DataLoss]);
const DEPENDENCY_FAULTS = new Set([Code.Unavailable, Code.ResourceExhausted, Code.DeadlineExceeded]);

/**
 * The outermost interceptor: turns every error into what the client may see
 * (domain errors into codes with details, anything unexpected into a bare
 * INTERNAL whose cause only the log keeps), and writes one log line and the
 * metrics of each call when it ends — for streams, when the stream ends.
 * `translate` recognises infrastructure failures (a database outage) as domain errors;
 * `calls` holds each call, by its method, from here until its log line.
 */
export function callObserver(logger: Logger, metrics: Metrics, translate: ErrorTranslator = () => undefined, calls?: InFlight): Interceptor {
  return (next) => async (req) => {
    const started = performance.now();
    const method = `${req.service.typeName}/${req.method.name}`;
    calls?.start(req, method);
    const finish = (thrown?: unknown): ConnectError | undefined => {
      let err = thrown === undefined || thrown instanceof DomainError ? thrown : (translate(thrown) ?? thrown);
      // The client went away (a write to its closed stream failed): that is its cancel, not our fault.
      if (err !== undefined && req.signal.aborted && !(err instanceof DomainError)) err = new ConnectError("client cancelled", Code.Canceled);
      const clientError = err === undefined ? undefined : toClientError(err);
      const code = codeName(clientError?.code);
      const seconds = (performance.now() - started) / 1000;
      metrics.rpcCalls.inc({ method, code });
      metrics.rpcDuration.observe({ method, code }, seconds);
      const line = {
        rpc: method,
        code,
        durationMs: Math.round(seconds * 10000) / 10,
        userId: req.contextValues.get(callerKey)?.userId,
        requestId: req.contextValues.get(requestInfoKey).requestId,
        reason: err instanceof DomainError ? err.reason : undefined,
      };
      if (clientError && SERVER_FAULTS.has(clientError.code)) logger.error({ ...line, err }, "call failed");
      else if (clientError && DEPENDENCY_FAULTS.has(clientError.code)) logger.warn({ ...line, err: err === thrown ? undefined : thrown }, "call failed");
      else logger.info(line, "call");
      calls?.end(req);
      return clientError;
    };
    try {
      const res = await next(req);
      if (!res.stream) {
        finish();
        return res;
      }
      return { ...res, message: observeStream(res.message, finish) };
    } catch (err) {
      throw finish(err);
    }
  };
}

async function* observeStream<T>(messages: AsyncIterable<T>, finish: (err?: unknown) => ConnectError | undefined) {
  let outcome: "done" | "failed" | undefined;
  try {
    yield* messages;
    outcome = "done";
  } catch (err) {
    outcome = "failed";
    throw finish(err);
  } finally {
    // Neither done nor failed: the client went away mid-stream.
    if (outcome !== "failed") finish(outcome === "done" ? undefined : new ConnectError("client cancelled", Code.Canceled));
  }
}

function toClientError(err: unknown): ConnectError {
  if (err instanceof DomainError) return connectErrorOf(err);
  if (err instanceof ConnectError && !SERVER_FAULTS.has(err.code)) return err;
  return internalError();
}

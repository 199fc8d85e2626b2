import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Http2ServerRequest } from "node:http2";
import { type ContextValues, createContextKey, createContextValues, type HandlerContext } from "@connectrpc/connect";
import type { Actor, Caller } from "../identity/caller.js";

/** Where a call came from: for the audit trail and the call log. */
export interface RequestInfo {
  readonly requestId: string;
  readonly ipAddress?: string;
  readonly userAgent?: string;
}

/** The verified caller; set by the auth interceptor on every wallet.v1 call. */
export const callerKey = createContextKey<Caller | undefined>(undefined, { description: "caller" });

/** The request's origin; set for every call by contextValuesOf. */
export const requestInfoKey = createContextKey<RequestInfo>({ requestId: "" }, { description: "request info" });

/**
 * Why the unary handler could not read a call's request (its framing,
 * compression or message), for the request check to throw inside the
 * interceptors, so the call observer logs and counts it like any other call.
 */
export const requestFailureKey = createContextKey<unknown>(undefined, { description: "request failure" });

/** Reads the request's id, address and user agent off the Node request, before any handler runs. */
export function contextValuesOf(req: IncomingMessage | Http2ServerRequest): ContextValues {
  const header = (name: string): string | undefined => {
    const value = req.headers[name];
    return typeof value === "string" && value.length > 0 ? value.slice(0, 512) : undefined;
  };
  const remote = req.socket.remoteAddress;
  const requestId = header("x-request-id");
  return createContextValues().set(requestInfoKey, {
    requestId: requestId && /^[\w.:-]{1,128}$/.test(requestId) ? requestId : randomUUID(),
    ipAddress: remote?.startsWith("::ffff:") ? remote.slice(7) : remote,
    userAgent: header("user-agent"),
  });
}

/** The caller of a wallet.v1 call; the auth interceptor has made sure there is one. */
export function callerOf(ctx: HandlerContext): Caller {
  const caller = ctx.values.get(callerKey);
  if (!caller) throw new Error("no caller in context: is the auth interceptor installed?");
  return caller;
}

/** The caller with their address and user agent, for the audit trail. */
export function actorOf(ctx: HandlerContext): Actor {
  const info = ctx.values.get(requestInfoKey);
  return { userId: callerOf(ctx).userId, ipAddress: info.ipAddress, userAgent: info.userAgent };
}

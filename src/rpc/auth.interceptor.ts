import type { Interceptor } from "@connectrpc/connect";
import { DomainError } from "../errors.js";
import { ADMIN_ROLE, isAdmin } from "../identity/caller.js";
import type { TokenVerifier } from "../identity/token-verifier.js";
import { AdminService } from "../../gen/wallet/v1/admin_service_pb.js";
import { callerKey } from "./context.js";

/**
 * Verifies the bearer token of every wallet.v1 call and puts the caller in
 * the context; AdminService also needs the admin role. Health and reflection
 * stay open, as load balancers and grpcurl expect.
 */
export function authInterceptor(verifier: TokenVerifier): Interceptor {
  return (next) => async (req) => {
    if (!req.service.typeName.startsWith("wallet.v1.")) return next(req);
    const token = /^Bearer\s+(\S+)\s*$/i.exec(req.header.get("authorization") ?? "")?.[1];
    const caller = await verifier.verify(token);
    req.contextValues.set(callerKey, caller);
    if (req.service.typeName === AdminService.typeName && !isAdmin(caller)) {
      throw new DomainError("permission_denied", "ADMIN_ROLE_REQUIRED", `AdminService needs the role "${ADMIN_ROLE}"`);
    }
    return next(req);
  };
}

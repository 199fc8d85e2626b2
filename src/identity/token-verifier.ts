import type { ErrorReason } from "../error-reasons.js";
import { createPublicKey, type KeyObject } from "node:crypto";
import { createRemoteJWKSet, errors, type JWTVerifyGetKey, jwtVerify, type JWTVerifyOptions } from "jose";
import type { JwtConfig } from "../config.js";
import { DomainError } from "../errors.js";
import type { Caller } from "./caller.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const CACHE_SIZE = 10_000;
const CACHE_TTL_MS = 60_000;

/**
 * Verifies bearer JWTs: HS256 with a secret, or RS256/ES256 with a public key
 * or a JWKS. Clients send the same token on call after call, so a verified
 * token (the exact string) is remembered for up to a minute, never past its
 * expiry: the signature check is the costliest part of a small call.
 */
export class TokenVerifier {
  private readonly key: Uint8Array | KeyObject | JWTVerifyGetKey;
  private readonly options: JWTVerifyOptions;
  private readonly verified = new Map<string, { caller: Caller; until: number }>();

  /** `config.secret` must be resolved (the dev secret) when no key or JWKS is set. */
  constructor(config: JwtConfig) {
    if (config.jwksUrl) {
      this.key = createRemoteJWKSet(new URL(config.jwksUrl), { timeoutDuration: 5000 });
      this.options = { algorithms: ["RS256", "ES256"] };
    } else if (config.publicKey) {
      const key = createPublicKey(config.publicKey);
      this.key = key;
      this.options = { algorithms: [key.asymmetricKeyType === "ec" ? "ES256" : "RS256"] };
    } else if (config.secret) {
      this.key = new TextEncoder().encode(config.secret);
      this.options = { algorithms: ["HS256"] };
    } else {
      throw new Error("TokenVerifier needs a secret, a public key or a JWKS URL");
    }
    this.options = {
      ...this.options,
      issuer: config.issuer,
      audience: config.audience,
      requiredClaims: ["sub", "exp"],
      clockTolerance: 5,
    };
  }

  /** The caller a bearer token names; UNAUTHENTICATED when missing, expired or forged. */
  async verify(token: string | undefined): Promise<Caller> {
    if (!token) throw unauthenticated("TOKEN_MISSING", 'missing bearer token: send "authorization: Bearer <JWT>"');
    const known = this.verified.get(token);
    if (known && known.until > Date.now()) return known.caller;
    const { caller, expiresAt } = await this.check(token);
    if (this.verified.size >= CACHE_SIZE) this.verified.clear(); // crude but bounded; refills on the next calls
    this.verified.set(token, { caller, until: Math.min(expiresAt, Date.now() + CACHE_TTL_MS) });
    return caller;
  }

  private async check(token: string): Promise<{ caller: Caller; expiresAt: number }> {
    let payload;
    try {
      // jose's overloads split key objects from key getters; both are valid here.
      ({ payload } = await jwtVerify(token, this.key as Uint8Array, this.options));
    } catch (err) {
      if (err instanceof errors.JWTExpired) throw unauthenticated("TOKEN_EXPIRED", "the bearer token has expired");
      if (err instanceof errors.JWKSTimeout || !(err instanceof errors.JOSEError)) {
        // The JWKS endpoint is down: not the caller's fault.
        throw new DomainError("unavailable", "IDENTITY_KEYS_UNAVAILABLE", "token keys cannot be fetched; retry later", {
          retryAfterMs: 5000,
        });
      }
      throw unauthenticated("TOKEN_INVALID", "the bearer token is not valid");
    }
    if (typeof payload.sub !== "string" || !UUID.test(payload.sub)) {
      throw unauthenticated("TOKEN_INVALID", "the bearer token's sub must be a user UUID");
    }
    const roles = Array.isArray(payload.roles) ? payload.roles.filter((r): r is string => typeof r === "string") : [];
    return { caller: { userId: payload.sub.toLowerCase(), roles }, expiresAt: (payload.exp ?? 0) * 1000 };
  }
}

function unauthenticated(reason: ErrorReason, message: string): DomainError {
  return new DomainError("unauthenticated", reason, message);
}

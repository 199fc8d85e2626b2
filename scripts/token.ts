// Prints a bearer token the running service accepts:
//   npm run token -- --sub <user uuid> [--admin] [--ttl 3600]
// It signs with WALLET_JWT_SECRET, or the embedded default's dev secret in
// WALLET_DATA_DIR, and adds WALLET_JWT_ISSUER / WALLET_JWT_AUDIENCE when set.
import { parseArgs } from "node:util";
import { SignJWT } from "jose";
import { ConfigError, loadConfig } from "../src/config.js";
import { loadOrCreateDevSecret } from "../src/identity/dev-secret.js";
import { ADMIN_ROLE } from "../src/identity/caller.js";
import { isUuid } from "../src/validation.js";

function fail(message: string): never {
  process.stderr.write(`token: ${message}\n`);
  process.exit(2);
}

const { values } = parseArgs({
  options: { sub: { type: "string" }, admin: { type: "boolean", default: false }, ttl: { type: "string", default: "3600" } },
});
if (!values.sub || !isUuid(values.sub)) fail("--sub <user uuid> is required, e.g. --sub 7d9f3c2e-1b4a-4c8e-9f10-2a3b4c5d6e7f");
const ttl = Number(values.ttl);
if (!Number.isInteger(ttl) || ttl <= 0) fail("--ttl must be a positive number of seconds");

let config;
try {
  config = loadConfig();
} catch (err) {
  fail(err instanceof ConfigError ? err.message : String(err));
}
if (config.jwt.publicKey || config.jwt.jwksUrl) {
  fail("the service verifies tokens with a public key or JWKS: get a token from your identity provider");
}
const secret = config.jwt.secret ?? (await loadOrCreateDevSecret(config.dataDir));

let jwt = new SignJWT({ roles: values.admin ? [ADMIN_ROLE] : [] })
  .setProtectedHeader({ alg: "HS256", typ: "JWT" })
  .setSubject(values.sub.toLowerCase())
  .setIssuedAt()
  .setExpirationTime(`${ttl}s`);
if (config.jwt.issuer) jwt = jwt.setIssuer(config.jwt.issuer);
if (config.jwt.audience) jwt = jwt.setAudience(config.jwt.audience);
process.stdout.write((await jwt.sign(new TextEncoder().encode(secret))) + "\n");

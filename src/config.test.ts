import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./config.js";

describe("loadConfig", () => {
  it("gives the embedded defaults on an empty environment", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ port: 50051, databaseUrl: undefined, vault: undefined, logLevel: "info", exchangeUrlOverrides: {} });
    expect(config.dataDir).toMatch(/\.wallet-data$/);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it("reads Vault with a token or AppRole and the transit names", () => {
    expect(loadConfig({ VAULT_ADDR: "http://vault:8200/", VAULT_TOKEN: "t" }).vault).toMatchObject({
      address: "http://vault:8200",
      auth: { token: "t" },
      transitMount: "transit",
      transitKey: "wallet-credentials",
    });
    expect(loadConfig({ VAULT_ADDR: "http://v", VAULT_ROLE_ID: "r", VAULT_SECRET_ID: "s", VAULT_TRANSIT_KEY: "k" }).vault).toMatchObject({
      auth: { roleId: "r", secretId: "s" },
      transitKey: "k",
    });
  });

  it("parses exchange URL overrides, dropping a trailing slash", () => {
    const config = loadConfig({ WALLET_EXCHANGE_URL_OVERRIDES: '{"binance":"http://127.0.0.1:18000/","okx":"https://proxy.example"}' });
    expect(config.exchangeUrlOverrides).toEqual({ binance: "http://127.0.0.1:18000", okx: "https://proxy.example" });
  });

  it("refuses risky keys by default in production and only warns elsewhere, unless WALLET_KEY_POLICY says", () => {
    const production = { NODE_ENV: "production", VAULT_ADDR: "http://v", VAULT_TOKEN: "t", WALLET_JWT_SECRET: "x".repeat(32) };
    expect(loadConfig(production).keyPolicy).toBe("strict");
    expect(loadConfig({ ...production, WALLET_KEY_POLICY: "warn" }).keyPolicy).toBe("warn");
    expect(loadConfig({}).keyPolicy).toBe("warn");
    expect(loadConfig({ WALLET_KEY_POLICY: "strict" }).keyPolicy).toBe("strict");
  });

  it("answers unary calls in the unary handler unless WALLET_UNARY_HANDLER=off", () => {
    expect(loadConfig({}).unaryHandler).toBe(true);
    expect(loadConfig({ WALLET_UNARY_HANDLER: "on" }).unaryHandler).toBe(true);
    expect(loadConfig({ WALLET_UNARY_HANDLER: "off" }).unaryHandler).toBe(false);
  });

  it.each([
    [{ WALLET_PORT: "abc" }, "WALLET_PORT"],
    [{ WALLET_UNARY_HANDLER: "false" }, "WALLET_UNARY_HANDLER"],
    [{ WALLET_KEY_POLICY: "lenient" }, "WALLET_KEY_POLICY"],
    [{ WALLET_KEY_POLICY: "STRICT" }, "WALLET_KEY_POLICY"],
    [{ WALLET_PORT: "70000" }, "WALLET_PORT"],
    [{ DATABASE_URL: "mysql://x" }, "DATABASE_URL"],
    [{ VAULT_ADDR: "vault:8200", VAULT_TOKEN: "t" }, "VAULT_ADDR"],
    [{ VAULT_ADDR: "http://v" }, "VAULT_TOKEN"],
    [{ VAULT_TOKEN: "t" }, "VAULT_ADDR"],
    [{ VAULT_ADDR: "http://v", VAULT_TOKEN: "t", VAULT_TRANSIT_KEY: "a/b" }, "VAULT_TRANSIT_KEY"],
    [{ NODE_ENV: "production", WALLET_JWT_SECRET: "x".repeat(32) }, "VAULT_ADDR"],
    [{ NODE_ENV: "production", VAULT_ADDR: "http://v", VAULT_TOKEN: "t" }, "WALLET_JWT_SECRET"],
    [{ WALLET_JWT_SECRET: "short" }, "WALLET_JWT_SECRET"],
    [{ WALLET_JWT_SECRET: "x".repeat(32), WALLET_JWT_JWKS_URL: "http://idp/jwks" }, "exclusive"],
    [{ WALLET_JWT_PUBLIC_KEY: "not a pem" }, "WALLET_JWT_PUBLIC_KEY"],
    [{ WALLET_EXCHANGE_URL_OVERRIDES: "{" }, "WALLET_EXCHANGE_URL_OVERRIDES"],
    [{ WALLET_EXCHANGE_URL_OVERRIDES: '{"mtgox":"http://x"}' }, "mtgox"],
    [{ WALLET_EXCHANGE_URL_OVERRIDES: '{"binance":"http://x/path"}' }, "WALLET_EXCHANGE_URL_OVERRIDES.binance"],
    [{ LOG_LEVEL: "loud" }, "LOG_LEVEL"],
  ])("refuses %o with an error naming %s", (env, name) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(name);
  });
});

import { createServer } from "node:net";
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "../logger.js";
import { CredentialStoreUnavailableError } from "./cipher.js";
import { VaultTransitCipher } from "./vault-transit.cipher.js";

const TOKEN = "hvs.super-secret-vault-token-value";

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("VaultTransitCipher errors", () => {
  it("wraps a network error so neither the error nor its log line carries the Vault token", async () => {
    const cipher = new VaultTransitCipher({
      address: `http://127.0.0.1:${await closedPort()}`,
      auth: { token: TOKEN },
      transitMount: "transit",
      transitKey: "k",
      timeoutMs: 1000,
    });
    const err = await cipher.encrypt(["x"], "ctx").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CredentialStoreUnavailableError);
    expect((err as CredentialStoreUnavailableError).message).toContain("ECONNREFUSED");
    expect(JSON.stringify(err, Object.getOwnPropertyNames(err))).not.toContain(TOKEN);
    expect((err as Error).cause).toBeUndefined();

    const lines: string[] = [];
    const logger = createLogger("info", new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) }));
    logger.error({ err }, "vault failed");
    expect(lines.join("")).toContain("CREDENTIAL_STORE_UNAVAILABLE");
    expect(lines.join("")).not.toContain(TOKEN);
  });
});

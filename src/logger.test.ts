import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger, redactSecrets } from "./logger.js";

function capture() {
  const lines: string[] = [];
  const logger = createLogger("debug", new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) }));
  return { logger, text: () => lines.join("") };
}

describe("logger", () => {
  it("logs an axios-style error by name, message and stack only: its request headers (a Vault token) never", () => {
    const { logger, text } = capture();
    const err = Object.assign(new Error("connect ECONNREFUSED"), {
      code: "ECONNREFUSED",
      config: { headers: { "X-Vault-Token": "hvs.leaked-token-1234" } },
      request: { _header: "X-Vault-Token: hvs.leaked-token-1234" },
    });
    logger.error({ err: new Error("wrapped", { cause: err }) }, "failed");
    expect(text()).toContain("connect ECONNREFUSED");
    expect(text()).not.toContain("hvs.leaked-token-1234");
  });

  it("blanks credential-shaped fields wherever they sit", () => {
    const { logger, text } = capture();
    logger.info({ apiKey: "k-123456789", nested: { secret: "s-123456789", passphrase: "p-123456789", authorization: "Bearer t-123456789" } }, "x");
    for (const secret of ["k-123456789", "s-123456789", "p-123456789", "t-123456789"]) expect(text()).not.toContain(secret);
    expect(text()).toContain("[redacted]");
  });

  it("redactSecrets replaces every occurrence of known secrets in a text", () => {
    expect(redactSecrets("GET /x?AccessKeyId=AKID1234&b=AKID1234", ["AKID1234", undefined, "ab"])).toBe("GET /x?AccessKeyId=***&b=***");
  });
});

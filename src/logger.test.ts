import { spawn } from "node:child_process";
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

  it("writes stdout lines in order and loses none when the process exits right after them", async () => {
    // What main.ts does on SIGTERM: log, then process.exit. An asynchronous stdout writer can
    // still hold a chunk in flight then, which the exit flush overtakes or drops.
    const script = `
      const { createLogger } = await import(${JSON.stringify(new URL("./logger.ts", import.meta.url).href)});
      const logger = createLogger("info");
      const { setTimeout: sleep } = await import("node:timers/promises");
      for (let i = 0; i < 3000; i++) {
        logger.info({ i, pad: "x".repeat(200) }, "line");
        if (i % 100 === 0) await sleep(1); // as a service logs: across turns of the event loop
      }
      logger.info("last");
      process.exit(0);`;
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
    await new Promise((resolve) => setTimeout(resolve, 1500)); // a slow reader: the pipe fills up meanwhile
    const chunks: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => chunks.push(chunk));
    expect(await new Promise((resolve) => child.once("close", resolve))).toBe(0);
    const said = Buffer.concat(chunks).toString().trim().split("\n").map((line) => JSON.parse(line) as { i?: number; msg: string });
    expect(said).toHaveLength(3001);
    expect(said.slice(0, -1).every((entry, i) => entry.i === i)).toBe(true);
    expect(said.at(-1)?.msg).toBe("last");
  });
});

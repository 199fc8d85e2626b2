import { mkdtemp, readFile, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CredentialsUnreadableError } from "./cipher.js";
import { LocalKeyCipher } from "./local-key.cipher.js";

describe("LocalKeyCipher", () => {
  it("round-trips with the same context and keeps its key file private and stable", async () => {
    const dir = await mkdtemp(join(tmpdir(), "wallet-key-"));
    const cipher = await LocalKeyCipher.open(dir);
    const sealed = await cipher.encrypt(["api-key-123", "s3cret"], "account-1");
    expect(sealed.every((s) => s.ciphertext.startsWith("local:v1:") && s.keyVersion === 1)).toBe(true);
    expect(sealed[0]!.ciphertext).not.toContain("api-key-123");
    const reopened = await LocalKeyCipher.open(dir);
    expect(await reopened.decrypt(sealed.map((s) => s.ciphertext), "account-1")).toEqual(["api-key-123", "s3cret"]);
    expect((await stat(join(dir, "credentials.key"))).mode & 0o777).toBe(0o600);
    expect(Buffer.from((await readFile(join(dir, "credentials.key"), "utf8")).trim(), "base64")).toHaveLength(32);
  });

  it("refuses a ciphertext under another context, or tampered", async () => {
    const cipher = await LocalKeyCipher.open(await mkdtemp(join(tmpdir(), "wallet-key-")));
    const [sealed] = await cipher.encrypt(["secret"], "account-1");
    await expect(cipher.decrypt([sealed!.ciphertext], "account-2")).rejects.toBeInstanceOf(CredentialsUnreadableError);
    const tampered = sealed!.ciphertext.slice(0, -4) + (sealed!.ciphertext.endsWith("AAAA") ? "BBBB" : "AAAA");
    await expect(cipher.decrypt([tampered], "account-1")).rejects.toBeInstanceOf(CredentialsUnreadableError);
    await expect(cipher.decrypt(["vault:v1:abc"], "account-1")).rejects.toBeInstanceOf(CredentialsUnreadableError);
  });
});

import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { type Cipher, CredentialsUnreadableError, type SealedValue } from "./cipher.js";

const PREFIX = "local:v1:";

/**
 * AES-256-GCM with a key file in the data dir, for the embedded default only
 * (config refuses it in production). The context is the GCM additional data,
 * so a ciphertext moved to another account fails authentication.
 */
export class LocalKeyCipher implements Cipher {
  private constructor(private readonly key: Buffer) {}

  /** Loads the key from `<dataDir>/credentials.key`, creating it (mode 0600) on first use. */
  static async open(dataDir: string): Promise<LocalKeyCipher> {
    const file = path.join(dataDir, "credentials.key");
    try {
      const key = Buffer.from((await readFile(file, "utf8")).trim(), "base64");
      if (key.length !== 32) throw new Error(`${file} does not hold a 32-byte base64 key`);
      return new LocalKeyCipher(key);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
    await mkdir(dataDir, { recursive: true });
    const key = randomBytes(32);
    await writeFile(file, key.toString("base64") + "\n", { mode: 0o600, flag: "wx" });
    return new LocalKeyCipher(key);
  }

  async encrypt(plaintexts: readonly string[], context: string): Promise<SealedValue[]> {
    return plaintexts.map((plaintext) => {
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", this.key, iv).setAAD(Buffer.from(context));
      const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
      const sealed = Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64");
      return { ciphertext: PREFIX + sealed, keyVersion: 1 };
    });
  }

  async decrypt(ciphertexts: readonly string[], context: string): Promise<string[]> {
    return ciphertexts.map((ciphertext) => {
      if (!ciphertext.startsWith(PREFIX)) throw new CredentialsUnreadableError();
      const raw = Buffer.from(ciphertext.slice(PREFIX.length), "base64");
      try {
        const decipher = createDecipheriv("aes-256-gcm", this.key, raw.subarray(0, 12))
          .setAAD(Buffer.from(context))
          .setAuthTag(raw.subarray(12, 28));
        return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8");
      } catch {
        throw new CredentialsUnreadableError();
      }
    });
  }

  async ping(): Promise<void> {}
}

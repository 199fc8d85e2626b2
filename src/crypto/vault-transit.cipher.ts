import nodeVault from "node-vault";
import type { VaultConfig } from "../config.js";
import {
  type Cipher,
  CredentialStoreUnavailableError,
  CredentialsUnreadableError,
  type SealedValue,
} from "./cipher.js";

type VaultClient = ReturnType<typeof nodeVault>;

interface BatchResult {
  ciphertext?: string;
  plaintext?: string;
  key_version?: number;
  error?: string;
}

/**
 * Vault (or OpenBao) transit with a derived key: the account id is the
 * derivation context, so each account's credentials are sealed under their
 * own key and a ciphertext moved to another row does not decrypt.
 *
 * Every node-vault error is turned into one of our errors right here: its
 * raw axios form carries the Vault token in `config.headers`.
 */
export class VaultTransitCipher implements Cipher {
  private readonly client: VaultClient;
  private login?: Promise<void>;

  constructor(private readonly config: VaultConfig) {
    this.client = nodeVault({
      endpoint: config.address,
      token: "token" in config.auth ? config.auth.token : undefined,
      requestOptions: { timeout: config.timeoutMs },
    });
  }

  /** Logs in (AppRole) and makes sure the transit key exists, derived, when the token may see it. */
  async init(): Promise<void> {
    await this.call(async () => {
      const key = await this.readKey();
      if (key === "missing") {
        await this.client.write(`${this.config.transitMount}/keys/${this.config.transitKey}`, {
          type: "aes256-gcm96",
          derived: true,
        });
      } else if (key === "not-derived") {
        throw new Error(
          `transit key "${this.config.transitKey}" exists without key derivation; the service needs a derived key (VAULT_TRANSIT_KEY)`,
        );
      }
      // "hidden": a token allowed only encrypt/decrypt; the first encrypt with a
      // context creates the key, derived (transit upsert).
    });
  }

  async encrypt(plaintexts: readonly string[], context: string): Promise<SealedValue[]> {
    const ctx = Buffer.from(context).toString("base64");
    const results = await this.batch("encrypt", {
      batch_input: plaintexts.map((p) => ({ plaintext: Buffer.from(p).toString("base64"), context: ctx })),
    });
    return results.map((r) => {
      if (r.error || !r.ciphertext) throw new CredentialStoreUnavailableError("encryption failed");
      return { ciphertext: r.ciphertext, keyVersion: r.key_version ?? versionOf(r.ciphertext) };
    });
  }

  async decrypt(ciphertexts: readonly string[], context: string): Promise<string[]> {
    const ctx = Buffer.from(context).toString("base64");
    const results = await this.batch("decrypt", {
      batch_input: ciphertexts.map((c) => ({ ciphertext: c, context: ctx })),
    });
    return results.map((r) => {
      if (r.error || r.plaintext === undefined) throw new CredentialsUnreadableError();
      return Buffer.from(r.plaintext, "base64").toString("utf8");
    });
  }

  async ping(): Promise<void> {
    await this.call(async () => {
      const health = (await this.client.health()) as { sealed?: boolean; initialized?: boolean };
      if (health.sealed || health.initialized === false) throw new VaultDown("sealed");
    });
  }

  private async batch(op: "encrypt" | "decrypt", body: object): Promise<BatchResult[]> {
    return this.call(async () => {
      try {
        const res = (await this.client.write(`${this.config.transitMount}/${op}/${this.config.transitKey}`, body)) as {
          data?: { batch_results?: BatchResult[] };
        };
        return res.data?.batch_results ?? [];
      } catch (err) {
        // Transit answers 400 when every item of a batch fails, e.g. a wrong context.
        if (op === "decrypt" && statusOf(err) === 400) throw new CredentialsUnreadableError();
        throw err;
      }
    });
  }

  private async readKey(): Promise<"missing" | "not-derived" | "derived" | "hidden"> {
    try {
      const res = (await this.client.read(`${this.config.transitMount}/keys/${this.config.transitKey}`)) as {
        data?: { derived?: boolean };
      };
      return res.data?.derived ? "derived" : "not-derived";
    } catch (err) {
      const status = statusOf(err);
      if (status === 404) return "missing";
      if (status === 403) return "hidden";
      throw err;
    }
  }

  /** Runs a Vault call, logging in first (AppRole) and once more on 403, mapping every failure. */
  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      await this.ensureLogin();
      try {
        return await fn();
      } catch (err) {
        if (statusOf(err) !== 403 || "token" in this.config.auth) throw err;
        this.login = undefined; // AppRole token expired: log in again, once
        await this.ensureLogin();
        return await fn();
      }
    } catch (err) {
      throw toDomainError(err);
    }
  }

  private ensureLogin(): Promise<void> {
    const auth = this.config.auth;
    if ("token" in auth) return Promise.resolve();
    this.login ??= this.client
      .approleLogin({ role_id: auth.roleId, secret_id: auth.secretId })
      .then(() => undefined)
      .catch((err: unknown) => {
        this.login = undefined;
        throw err;
      });
    return this.login;
  }
}

class VaultDown extends Error {}

function statusOf(err: unknown): number | undefined {
  return (err as { response?: { statusCode?: number } } | undefined)?.response?.statusCode;
}

/** Maps anything node-vault or axios threw to our errors, keeping nothing of the original object. */
function toDomainError(err: unknown): Error {
  if (err instanceof CredentialsUnreadableError || err instanceof CredentialStoreUnavailableError) return err;
  if (err instanceof VaultDown) return new CredentialStoreUnavailableError(err.message);
  const status = statusOf(err);
  if (status !== undefined) {
    return new CredentialStoreUnavailableError(status === 403 ? "permission denied" : `HTTP ${status}`);
  }
  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code === "string") return new CredentialStoreUnavailableError(code === "ECONNABORTED" ? "timeout" : code);
  if (err instanceof Error && err.message.startsWith("transit key")) return new Error(err.message);
  return new CredentialStoreUnavailableError("unexpected error");
}

function versionOf(ciphertext: string): number {
  return Number(/^vault:v(\d+):/.exec(ciphertext)?.[1] ?? 1);
}

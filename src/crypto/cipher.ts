import { DomainError } from "../errors.js";

/** A ciphertext and the version of the key that made it. */
export interface SealedValue {
  readonly ciphertext: string;
  readonly keyVersion: number;
}

/**
 * Encrypts exchange credentials bound to a context (the account id), so a
 * ciphertext copied onto another row does not decrypt. Two implementations:
 * Vault transit (production) and a local key file (the embedded default).
 */
export interface Cipher {
  /** Encrypts each plaintext with the same context, in order. */
  encrypt(plaintexts: readonly string[], context: string): Promise<SealedValue[]>;
  /** Decrypts each ciphertext with the context it was sealed with, in order. */
  decrypt(ciphertexts: readonly string[], context: string): Promise<string[]>;
  /** Resolves when the store can be reached; throws CredentialStoreUnavailableError otherwise. */
  ping(): Promise<void>;
}

/** The credential store cannot be reached or refused to work: retry later. */
export class CredentialStoreUnavailableError extends DomainError {
  constructor(detail: string) {
    super("unavailable", "CREDENTIAL_STORE_UNAVAILABLE", `credential store unavailable (${detail}); retry later`, {
      retryAfterMs: 5000,
    });
  }
}

/** Stored credentials that do not decrypt (tampered, moved to another row, or a lost key). */
export class CredentialsUnreadableError extends DomainError {
  constructor() {
    super(
      "failed_precondition",
      "CREDENTIALS_UNREADABLE",
      "the stored credentials of this account cannot be decrypted; set new ones with UpdateExchangeAccount",
    );
  }
}

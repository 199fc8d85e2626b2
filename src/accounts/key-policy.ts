import type { KeyPolicyMode } from "../config.js";

/** How long a key check stands before the next exchange operation checks again. */
export const KEY_CHECK_MAX_AGE_MS = 24 * 3_600_000;
/** An expiry this close is worth a warning. */
export const KEY_EXPIRY_WARNING_MS = 14 * 24 * 3_600_000;

/** What a key check learned: fresh from the exchange (dates) or as the account keeps it (ISO strings). */
export interface KeyFacts {
  readonly reported: boolean;
  readonly withdraw: boolean;
  readonly ipRestricted?: boolean;
  readonly expiresAt?: Date | string;
  readonly unreadable?: string;
}

/** A refusal of the key for exchange operations, with its reason (FAILED_PRECONDITION). */
export interface KeyRefusal {
  readonly reason: "EXCHANGE_KEY_CAN_WITHDRAW" | "EXCHANGE_KEY_PERMISSIONS_UNKNOWN";
  readonly message: string;
}

/** The policy's verdict on a key: warnings for the user, and a refusal under `strict`. */
export interface KeyVerdict {
  readonly warnings: string[];
  readonly refusal?: KeyRefusal;
}

/**
 * WALLET_KEY_POLICY. The service never withdraws, so a key that can is a risk
 * to the user and nothing to us; a key whose permissions we could not read is
 * treated as one that might. `strict` refuses both for exchange operations;
 * `warn` lets them through with warnings. An exchange that tells no key's
 * permissions at all (Coinbase Exchange) cannot be held to this: its keys
 * pass with a warning under both (an operator who must not hold unverifiable
 * keys deactivates the exchange in the catalogue).
 */
export class KeyPolicy {
  constructor(
    readonly mode: KeyPolicyMode,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether an exchange operation must check the key first: never checked (new key, new credentials), or checked over a day ago. */
  needsCheck(checkedAt: string | undefined): boolean {
    if (this.mode !== "strict") return false;
    return checkedAt === undefined || !(this.now() - Date.parse(checkedAt) < KEY_CHECK_MAX_AGE_MS);
  }

  /** Warnings and, under `strict`, the refusal; `exchangeReports`: the exchange has a permission endpoint. */
  judge(exchangeId: string, facts: KeyFacts, exchangeReports: boolean): KeyVerdict {
    const warnings: string[] = [];
    let risk: KeyRefusal | undefined;
    if (facts.reported && facts.withdraw) {
      risk = {
        reason: "EXCHANGE_KEY_CAN_WITHDRAW",
        message: `this ${exchangeId} API key can withdraw funds: the wallet service never needs that; replace it with a key without withdrawal permission`,
      };
    } else if (!facts.reported && exchangeReports) {
      risk = {
        reason: "EXCHANGE_KEY_PERMISSIONS_UNKNOWN",
        message: `${exchangeId} did not tell this key's permissions in a form we could read${facts.unreadable ? ` (${facts.unreadable})` : ""}, so it may be able to withdraw; test the connection again later`,
      };
    } else if (!facts.reported) {
      warnings.push(
        `EXCHANGE_KEY_PERMISSIONS_NOT_REPORTED: ${exchangeId} does not tell a key's permissions, so the service cannot check it: make sure the key has the View permission only`,
      );
    }
    if (risk) warnings.unshift(`${risk.reason}: ${risk.message}`);
    const expiresAt = facts.expiresAt === undefined ? undefined : new Date(facts.expiresAt).getTime();
    if (expiresAt !== undefined && expiresAt - this.now() < KEY_EXPIRY_WARNING_MS) {
      const day = new Date(expiresAt).toISOString().slice(0, 10);
      const text = expiresAt <= this.now() ? `expired on ${day}` : `expires on ${day}`;
      warnings.push(`EXCHANGE_KEY_EXPIRING: this ${exchangeId} API key ${text}: create a new key on the exchange and update the account's credentials`);
    }
    return { warnings, refusal: this.mode === "strict" ? risk : undefined };
  }
}


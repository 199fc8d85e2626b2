import { DomainError } from "../errors.js";
import type { ExchangeClient, KeyPermissionsInfo } from "../exchange/exchange-client.js";
import type { ExchangeClients } from "../exchange/exchange-clients.js";
import type { Actor } from "../identity/caller.js";
import type { Logger } from "../logger.js";
import type { ExchangeAccount } from "./exchange-account.entity.js";
import type { ExchangeAccountService } from "./exchange-account.service.js";

/** The outcome of a connection test, failed or not. */
export interface ConnectionTestResult {
  readonly ok: boolean;
  readonly latencyMs: number;
  readonly permissions?: KeyPermissionsInfo;
  readonly errorReason?: string;
  readonly errorMessage?: string;
  readonly warnings: string[];
}

/**
 * An account's way to its exchange: the caller's account, checked, with its
 * exchange client (built from its decrypted credentials only when the cached
 * one is gone or stale). Address, sync and connection-test code all start here.
 */
export class AccountExchange {
  constructor(
    private readonly accounts: ExchangeAccountService,
    private readonly clients: ExchangeClients,
    private readonly logger: Logger,
  ) {
    accounts.onInvalidated((accountId) => clients.forget(accountId));
  }

  /** The caller's account and its client; an inactive account is refused (ACCOUNT_INACTIVE). */
  async open(userId: string, accountId: string): Promise<{ account: ExchangeAccount; client: ExchangeClient }> {
    const account = await this.accounts.get(userId, accountId);
    if (!account.isActive) {
      throw new DomainError("failed_precondition", "ACCOUNT_INACTIVE", `exchange account ${accountId} is inactive; activate it with UpdateExchangeAccount`, {
        metadata: { exchangeAccountId: accountId },
      });
    }
    return { account, client: await this.clientOf(account) };
  }

  /** The caller's account, active or not (NOT_FOUND for anyone else's). */
  account(userId: string, accountId: string): Promise<ExchangeAccount> {
    return this.accounts.get(userId, accountId);
  }

  clientOf(account: ExchangeAccount): Promise<ExchangeClient> {
    return this.clients.clientFor(account, () => this.accounts.credentialsOf(account));
  }

  /**
   * Makes a cheap private call with the account's key. An exchange's refusal
   * is an answer (ok false, with its reason) and is recorded on the account;
   * only our own trouble (Vault down, say) fails the call.
   */
  async testConnection(actor: Actor, accountId: string): Promise<ConnectionTestResult> {
    const account = await this.accounts.get(actor.userId, accountId);
    const client = await this.clientOf(account);
    const started = Date.now();
    try {
      const { latencyMs, permissions } = await client.testConnection();
      await this.accounts.recordConnectionPassed(account.id, { ...permissions, checkedAt: new Date().toISOString() });
      const warnings: string[] = [];
      if (permissions.withdraw) {
        warnings.push("this API key can withdraw funds: the wallet service never needs that; create a key without withdrawal permission");
        this.logger.warn({ userId: actor.userId, accountId, exchange: account.exchangeId }, "exchange API key can withdraw funds");
      }
      return { ok: true, latencyMs, permissions, warnings };
    } catch (err) {
      if (!(err instanceof DomainError) || !err.reason.startsWith("EXCHANGE_")) throw err;
      await this.accounts.recordConnectionFailed(account.id, err.message);
      return { ok: false, latencyMs: Date.now() - started, errorReason: err.reason, errorMessage: err.message, warnings: [] };
    }
  }

  /** An exchange's currencies, read with the given account's key or the caller's first active one there. */
  async currencies(userId: string, exchangeId: string, accountId: string) {
    let account: ExchangeAccount | null;
    if (accountId) {
      account = (await this.open(userId, accountId)).account;
      if (account.exchangeId !== exchangeId) {
        throw new DomainError("invalid_argument", "VALIDATION_FAILED", `exchange account ${accountId} is not on ${exchangeId}`, {
          violations: [{ field: "exchange_account_id", description: `is an account on ${account.exchangeId}, not ${exchangeId}` }],
        });
      }
    } else {
      account = await this.accounts.firstActive(userId, exchangeId);
      if (!account) {
        throw new DomainError("failed_precondition", "ACCOUNT_REQUIRED", `connect an active ${exchangeId} account first: its key reads the exchange's currencies`, {
          metadata: { exchange: exchangeId },
        });
      }
    }
    const client = await this.clientOf(account);
    return (await client.currencies()).sort((a, b) => a.code.localeCompare(b.code));
  }
}

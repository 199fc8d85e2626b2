import { DomainError } from "../errors.js";
import type { ExchangeClient, KeyPermissionsInfo } from "../exchange/exchange-client.js";
import type { ExchangeClients } from "../exchange/exchange-clients.js";
import type { Actor } from "../identity/caller.js";
import type { Logger } from "../logger.js";
import type { ExchangeAccount, StoredPermissions } from "./exchange-account.entity.js";
import type { ExchangeAccountService } from "./exchange-account.service.js";
import type { KeyFacts, KeyPolicy } from "./key-policy.js";

/** The outcome of a connection test, failed or not. */
export interface ConnectionTestResult {
  readonly ok: boolean;
  readonly latencyMs: number;
  /** What the check learned of the key, as the account now keeps it. */
  readonly permissions?: StoredPermissions;
  readonly errorReason?: string;
  readonly errorMessage?: string;
  readonly warnings: string[];
}

/**
 * An account's way to its exchange: the caller's account, checked, with its
 * exchange client (built from its decrypted credentials only when the cached
 * one is gone or stale). Address, sync and connection-test code all start
 * here, and so does the key policy: under `strict`, an account's key is
 * checked before its first exchange operation and daily after that, and a
 * key the policy refuses fails every operation with its reason.
 */
export class AccountExchange {
  /** The policy's key checks in flight, by account: concurrent operations on a new key share one. */
  private readonly checks = new Map<string, Promise<KeyCheck>>();

  constructor(
    private readonly accounts: ExchangeAccountService,
    private readonly clients: ExchangeClients,
    private readonly policy: KeyPolicy,
    private readonly logger: Logger,
  ) {
    accounts.onInvalidated((accountId) => clients.forget(accountId));
  }

  /** The caller's account and its client, admitted by the key policy; an inactive account is refused (ACCOUNT_INACTIVE). */
  async open(userId: string, accountId: string): Promise<{ account: ExchangeAccount; client: ExchangeClient }> {
    const account = await this.accounts.get(userId, accountId);
    if (!account.isActive) {
      throw new DomainError("failed_precondition", "ACCOUNT_INACTIVE", `exchange account ${accountId} is inactive; activate it with UpdateExchangeAccount`, {
        metadata: { exchangeAccountId: accountId },
      });
    }
    const client = await this.clientOf(account);
    await this.admit(account, client);
    return { account, client };
  }

  /** The caller's account, active or not (NOT_FOUND for anyone else's). */
  account(userId: string, accountId: string): Promise<ExchangeAccount> {
    return this.accounts.get(userId, accountId);
  }

  clientOf(account: ExchangeAccount): Promise<ExchangeClient> {
    return this.clients.clientFor(account, () => this.accounts.credentialsOf(account));
  }

  /**
   * Makes a cheap private call with the account's key, reading its
   * permissions where the exchange tells them. An exchange's refusal, or the
   * key policy's, is an answer (ok false, with its reason) and is recorded on
   * the account; only our own trouble (Vault down, say) fails the call.
   */
  async testConnection(actor: Actor, accountId: string): Promise<ConnectionTestResult> {
    const account = await this.accounts.get(actor.userId, accountId);
    return (await this.runCheck(account, await this.clientOf(account))).result;
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
    await this.admit(account, client);
    return (await client.currencies()).sort((a, b) => a.code.localeCompare(b.code));
  }

  /** Under `strict`: the key's last check (made now when there is none or it is a day old) must pass the policy. */
  private async admit(account: ExchangeAccount, client: ExchangeClient): Promise<void> {
    if (this.policy.mode !== "strict") return;
    let facts: KeyFacts | undefined = account.permissions ?? undefined;
    if (this.policy.needsCheck(account.permissions?.checkedAt)) {
      const { result, failure } = await this.check(account, client);
      if (failure) throw failure; // the exchange refused the key, or did not answer
      facts = result.permissions;
    }
    const { refusal } = this.policy.judge(account.exchangeId, facts!, client.capabilities.fetchKeyPermissions);
    if (refusal) {
      throw new DomainError("failed_precondition", refusal.reason, `refused by the key policy: ${refusal.message}`, {
        metadata: { exchange: account.exchangeId, exchangeAccountId: account.id },
      });
    }
  }

  /** The policy's key check, one per account at a time. */
  private check(account: ExchangeAccount, client: ExchangeClient): Promise<KeyCheck> {
    let running = this.checks.get(account.id);
    if (!running) {
      running = this.runCheck(account, client).finally(() => this.checks.delete(account.id));
      this.checks.set(account.id, running);
    }
    return running;
  }

  /** A key check: the connection test, judged by the policy and recorded on the account. */
  private async runCheck(account: ExchangeAccount, client: ExchangeClient): Promise<KeyCheck> {
    const started = Date.now();
    const where = { accountId: account.id, userId: account.userId, exchange: account.exchangeId };
    let tested: Awaited<ReturnType<ExchangeClient["testConnection"]>>;
    try {
      tested = await client.testConnection();
    } catch (err) {
      if (!(err instanceof DomainError) || !err.reason.startsWith("EXCHANGE_")) throw err;
      await this.accounts.recordConnectionFailed(account, err.message);
      return { result: { ok: false, latencyMs: Date.now() - started, errorReason: err.reason, errorMessage: err.message, warnings: [] }, failure: err };
    }
    const { latencyMs } = tested;
    const permissions = storedPermissions(tested.permissions);
    const { warnings, refusal } = this.policy.judge(account.exchangeId, permissions, client.capabilities.fetchKeyPermissions);
    const message = refusal ? `refused by the key policy: ${refusal.message}` : undefined;
    await this.accounts.recordKeyCheck(account, permissions, message);
    if (permissions.reported && permissions.withdraw) this.logger.warn(where, "exchange API key can withdraw funds");
    if (permissions.unreadable) this.logger.warn({ ...where, unreadable: permissions.unreadable }, "exchange API key permissions unreadable");
    if (refusal) return { result: { ok: false, latencyMs, permissions, errorReason: refusal.reason, errorMessage: message, warnings } };
    return { result: { ok: true, latencyMs, permissions, warnings } };
  }
}

/** A key check's answer, and the exchange's error when it refused the key or did not answer. */
interface KeyCheck {
  readonly result: ConnectionTestResult;
  readonly failure?: DomainError;
}

/** A key check as the account keeps it. */
function storedPermissions(p: KeyPermissionsInfo): StoredPermissions {
  return {
    read: p.read,
    trade: p.trade,
    withdraw: p.withdraw,
    reported: p.reported,
    ...(p.ipRestricted === undefined ? {} : { ipRestricted: p.ipRestricted }),
    ipAllowlist: [...p.ipAllowlist],
    ...(p.expiresAt ? { expiresAt: p.expiresAt.toISOString() } : {}),
    ...(p.unreadable ? { unreadable: p.unreadable } : {}),
    checkedAt: new Date().toISOString(),
  };
}

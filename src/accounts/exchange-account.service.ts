import { randomUUID } from "node:crypto";
import { type EntityManager, UniqueConstraintViolationException } from "@mikro-orm/core";
import type { Cipher } from "../crypto/cipher.js";
import { DomainError, NotFoundError } from "../errors.js";
import type { ExchangeCatalogue } from "../exchanges/exchange-catalogue.js";
import type { Actor } from "../identity/caller.js";
import type { Credentials } from "../exchange/exchange-client.js";
import type { Logger } from "../logger.js";
import { type Page, pageOf, type PageRequest } from "../pagination.js";
import { Violations } from "../validation.js";
import { type ExchangeAccount, ExchangeAccountSchema, type StoredPermissions } from "./exchange-account.entity.js";
import { type AccountFilters, ExchangeAccountRepository } from "./exchange-account.repository.js";

/**
 * Soft-deletes an account's addresses with their audit events in the same
 * transaction: handed in (by app.ts) so accounts need not import addresses,
 * which depend on accounts.
 */
export type AccountAddressesDeleter = (em: EntityManager, accountId: string, actor: Actor, now: Date) => Promise<number>;

export type { Credentials } from "../exchange/exchange-client.js";

/** What CreateExchangeAccount asks for. */
export interface NewExchangeAccount {
  readonly exchangeId: string;
  readonly accountName: string;
  readonly credentials?: Credentials;
  readonly sandboxMode: boolean;
  readonly metadata: Readonly<Record<string, string>>;
  readonly requestId: string;
}

/** The fields UpdateExchangeAccount may change; absent ones stay. */
export interface ExchangeAccountChanges {
  readonly accountName?: string;
  readonly sandboxMode?: boolean;
  readonly isActive?: boolean;
  readonly metadata?: Readonly<Record<string, string>>;
  readonly credentials?: Credentials;
}

/** Called when an account's credentials change or it is deleted, so cached exchange clients go. */
export type AccountInvalidated = (accountId: string) => void;

/**
 * Exchange accounts: the user's API keys, encrypted with the account id as
 * context. Every read is scoped to the caller; another user's id is not found.
 */
export class ExchangeAccountService {
  private readonly invalidated: AccountInvalidated[] = [];

  constructor(
    private readonly em: EntityManager,
    private readonly cipher: Cipher,
    private readonly catalogue: ExchangeCatalogue,
    private readonly logger: Logger,
    private readonly deleteAddresses: AccountAddressesDeleter,
  ) {}

  /** Registers a listener for credential changes and deletions. */
  onInvalidated(listener: AccountInvalidated): void {
    this.invalidated.push(listener);
  }

  async create(actor: Actor, input: NewExchangeAccount): Promise<ExchangeAccount> {
    const exchange = this.checkNew(input);
    const repo = this.repo();
    if (input.requestId) {
      const earlier = await repo.findByRequestId(actor.userId, input.requestId);
      if (earlier) return this.replay(earlier, input);
    }
    const id = randomUUID();
    const credentials = input.credentials!;
    const sealed = await this.seal(id, credentials);
    const account = repo.em.create(ExchangeAccountSchema, {
      id,
      userId: actor.userId,
      exchangeId: exchange.id,
      accountName: input.accountName,
      ...sealed,
      sandboxMode: input.sandboxMode,
      metadata: { ...input.metadata },
      requestId: input.requestId || null,
    });
    try {
      await repo.em.flush();
    } catch (err) {
      if (!(err instanceof UniqueConstraintViolationException)) throw err;
      if (input.requestId) {
        // A concurrent retry with the same request_id may have won the race: answer what it made.
        const winner = await this.repo().findByRequestId(actor.userId, input.requestId);
        if (winner) return this.replay(winner, input);
      }
      throw new DomainError("already_exists", "ACCOUNT_NAME_TAKEN", `an ${exchange.id} account named "${input.accountName}" already exists`, {
        metadata: { exchange: exchange.id },
      });
    }
    this.logger.info({ userId: actor.userId, accountId: id, exchange: exchange.id }, "exchange account created");
    return account;
  }

  async get(userId: string, id: string): Promise<ExchangeAccount> {
    const account = await this.repo().readOwned(userId, id);
    if (!account) throw new NotFoundError("exchange account", id);
    return account;
  }

  /** The caller's accounts (filters.userId is forced to them), or everyone's for the admin list. */
  async list(filters: AccountFilters, page: PageRequest): Promise<Page<ExchangeAccount>> {
    return pageOf(await this.repo().list(filters, page), page);
  }

  async update(actor: Actor, id: string, changes: ExchangeAccountChanges): Promise<ExchangeAccount> {
    const repo = this.repo();
    const account = await this.owned(repo, actor.userId, id);
    this.checkChanges(account, changes);
    if (changes.accountName !== undefined) account.accountName = changes.accountName;
    if (changes.sandboxMode !== undefined) account.sandboxMode = changes.sandboxMode;
    if (changes.isActive !== undefined) account.isActive = changes.isActive;
    if (changes.metadata !== undefined) account.metadata = { ...changes.metadata };
    if (changes.credentials) {
      Object.assign(account, await this.seal(account.id, changes.credentials));
      account.permissions = null; // they were the old key's
    }
    try {
      await repo.em.flush();
    } catch (err) {
      if (err instanceof UniqueConstraintViolationException) {
        throw new DomainError("already_exists", "ACCOUNT_NAME_TAKEN", `an ${account.exchangeId} account named "${account.accountName}" already exists`, {
          metadata: { exchange: account.exchangeId },
        });
      }
      throw err;
    }
    if (changes.credentials || changes.sandboxMode !== undefined || changes.isActive === false) this.invalidate(id);
    this.logger.info({ userId: actor.userId, accountId: id, fields: Object.keys(changes) }, "exchange account updated");
    return account;
  }

  /** Deactivates the account and soft-deletes its addresses, writing their audit events, in one transaction. */
  async delete(actor: Actor, id: string): Promise<ExchangeAccount> {
    const account = await this.em.fork().transactional(async (em) => {
      const repo = new ExchangeAccountRepository(em);
      const found = await this.owned(repo, actor.userId, id);
      const now = new Date();
      found.isActive = false;
      found.deletedAt = now;
      await this.deleteAddresses(em, found.id, actor, now);
      return found;
    });
    this.invalidate(id);
    this.logger.info({ userId: actor.userId, accountId: id }, "exchange account deleted");
    return account;
  }

  /**
   * Keeps what a key check learned, with the key policy's refusal as the
   * account's error (or none). Only while the account still holds the key
   * that was checked: new credentials saved meanwhile are not given the old
   * key's verdict.
   */
  async recordKeyCheck(account: ExchangeAccount, permissions: StoredPermissions, refusal: string | undefined): Promise<void> {
    const changes = refusal ? { permissions, syncStatus: "failed" as const, errorMessage: refusal } : { permissions, errorMessage: null };
    await this.em.fork().nativeUpdate(ExchangeAccountSchema, { id: account.id, apiKeyEncrypted: account.apiKeyEncrypted }, { ...changes, updatedAt: new Date() });
  }

  /** Marks the account failed with the exchange's complaint, as a failed sync would (again only while it holds the key tested). */
  async recordConnectionFailed(account: ExchangeAccount, message: string): Promise<void> {
    await this.em.fork().nativeUpdate(ExchangeAccountSchema, { id: account.id, apiKeyEncrypted: account.apiKeyEncrypted }, { syncStatus: "failed", errorMessage: message, updatedAt: new Date() });
  }

  /** The user's first active account on an exchange, for calls that need any key there. */
  async firstActive(userId: string, exchangeId: string): Promise<ExchangeAccount | null> {
    return this.em.fork().findOne(ExchangeAccountSchema, { userId, exchangeId, isActive: true, deletedAt: null }, { orderBy: { createdAt: "asc" } });
  }

  /** The account's credentials in clear, for the exchange layer; never logged, never returned. */
  async credentialsOf(account: ExchangeAccount): Promise<Credentials> {
    const sealed = [account.apiKeyEncrypted, account.apiSecretEncrypted];
    if (account.apiPassphraseEncrypted) sealed.push(account.apiPassphraseEncrypted);
    const [apiKey, apiSecret, passphrase] = await this.cipher.decrypt(sealed, account.id);
    return { apiKey: apiKey!, apiSecret: apiSecret!, passphrase };
  }

  private repo(): ExchangeAccountRepository {
    return new ExchangeAccountRepository(this.em.fork());
  }

  private async owned(repo: ExchangeAccountRepository, userId: string, id: string): Promise<ExchangeAccount> {
    const account = await repo.findOwned(userId, id);
    if (!account) throw new NotFoundError("exchange account", id);
    return account;
  }

  private async seal(id: string, credentials: Credentials) {
    const plain = [credentials.apiKey, credentials.apiSecret];
    if (credentials.passphrase) plain.push(credentials.passphrase);
    const [key, secret, passphrase] = await this.cipher.encrypt(plain, id);
    return {
      apiKeyEncrypted: key!.ciphertext,
      apiSecretEncrypted: secret!.ciphertext,
      apiPassphraseEncrypted: passphrase?.ciphertext ?? null,
      credentialsKeyVersion: key!.keyVersion,
      apiKeyHint: credentials.apiKey.slice(-4),
    };
  }

  private replay(earlier: ExchangeAccount, input: NewExchangeAccount): ExchangeAccount {
    if (earlier.exchangeId !== input.exchangeId || earlier.accountName !== input.accountName) {
      throw new DomainError("already_exists", "REQUEST_ID_REUSED", "request_id was already used for another account", {
        metadata: { requestId: input.requestId },
      });
    }
    return earlier;
  }

  private checkNew(input: NewExchangeAccount) {
    const v = new Violations();
    const exchange = this.catalogue.get(input.exchangeId);
    if (!input.exchangeId) v.add("exchange_id", "required");
    else if (!exchange) v.add("exchange_id", `must be one of ${this.catalogue.list().map((e) => e.id).join(", ")}`);
    v.text("account_name", input.accountName, 1, 100);
    checkCredentials(v, input.credentials, exchange?.requiresPassphrase ?? false, exchange?.id);
    if (input.sandboxMode && exchange && !exchange.sandboxAvailable) v.add("sandbox_mode", `${exchange.id} has no sandbox`);
    v.stringMap("metadata", input.metadata).requestId("request_id", input.requestId);
    v.throwIfAny();
    return this.catalogue.requireActive(input.exchangeId, "exchange_id");
  }

  private checkChanges(account: ExchangeAccount, changes: ExchangeAccountChanges): void {
    const exchange = this.catalogue.require(account.exchangeId, "exchange_account.exchange_id");
    const v = new Violations();
    if (changes.accountName !== undefined) v.text("exchange_account.account_name", changes.accountName, 1, 100);
    if (changes.metadata !== undefined) v.stringMap("exchange_account.metadata", changes.metadata);
    if (changes.sandboxMode && !exchange.sandboxAvailable) v.add("exchange_account.sandbox_mode", `${exchange.id} has no sandbox`);
    if (changes.credentials !== undefined) {
      checkCredentials(v, changes.credentials, exchange.requiresPassphrase, exchange.id, "exchange_account.credentials");
    }
    v.throwIfAny();
  }

  private invalidate(accountId: string): void {
    for (const listener of this.invalidated) listener(accountId);
  }
}

function checkCredentials(v: Violations, credentials: Credentials | undefined, needsPassphrase: boolean, exchangeId?: string, field = "credentials"): void {
  if (!credentials) {
    v.add(field, "required");
    return;
  }
  v.text(`${field}.api_key`, credentials.apiKey, 8, 512).text(`${field}.api_secret`, credentials.apiSecret, 1, 2048);
  if (needsPassphrase && !credentials.passphrase) v.add(`${field}.passphrase`, `required for ${exchangeId}`);
  else if (credentials.passphrase) v.text(`${field}.passphrase`, credentials.passphrase, 1, 512);
}

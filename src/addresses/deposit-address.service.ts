import type { EntityManager } from "@mikro-orm/core";
import type { EntityManager as SqlEntityManager } from "@mikro-orm/postgresql";
import type { AccountExchange } from "../accounts/account-exchange.js";
import type { AdvisoryLocks } from "../db/advisory-locks.js";
import { isUniqueViolation } from "../db/database-errors.js";
import { DomainError, NotFoundError } from "../errors.js";
import type { ExchangeAddress } from "../exchange/exchange-client.js";
import type { Actor } from "../identity/caller.js";
import { type Page, pageOf, type PageRequest } from "../pagination.js";
import { Violations } from "../validation.js";
import { type AddressEventView, listAddressEvents, recordAddressEvent } from "./address-activity.js";
import type { AddressAnnotations } from "./address-annotations.js";
import { recordFetched } from "./address-recorder.js";
import type { AddressChecker } from "./address-check.js";
import { resolveRoute, type Route } from "./address-route.js";
import type { DepositAddress } from "./deposit-address.entity.js";
import { type AddressFilters, type DepositAddresses, DepositAddressRepository } from "./deposit-address.repository.js";
import { type AddressDetail, type AddressView, viewOfEntity } from "./deposit-address.view.js";

/** How long a create waits for another create of the same route (which may be waiting on its exchange, retries included). */
const ROUTE_LOCK_WAIT_MS = 30_000;

/** What CreateDepositAddress asks for. */
export interface NewDepositAddress extends AddressAnnotations {
  readonly exchangeAccountId: string;
  readonly currency: string;
  readonly network: string;
}

/** The fields UpdateDepositAddress may change; absent ones stay. */
export interface DepositAddressChanges {
  readonly label?: string;
  readonly description?: string;
  readonly userMetadata?: Readonly<Record<string, string>>;
  readonly isActive?: boolean;
}

/** What a refresh found. */
export interface RefreshResult {
  readonly address: AddressView;
  readonly changed: boolean;
  readonly previous?: { address: string; tag: string | null };
}

/**
 * Deposit addresses: fetched from the exchange (created there only when none
 * exists and the exchange can), checked against their network, stored with
 * an explicit network and their audit trail, read back fast. Every read is
 * scoped to the caller.
 */
export class DepositAddressService {
  /**
   * `addresses` holds the hot reads and writes (prepared statements, no unit of
   * work: Get and List skip the per-call ORM context); `em` forks a unit of
   * work for the edits of an entity (update, delete) and the audit trail.
   */
  constructor(
    private readonly em: EntityManager,
    private readonly addresses: DepositAddresses,
    private readonly access: AccountExchange,
    private readonly checker: AddressChecker,
    private readonly locks: AdvisoryLocks,
  ) {}

  /** Fetches (or creates) the address of a route and stores it; idempotent on request_id. */
  async create(actor: Actor, input: NewDepositAddress, field = ""): Promise<{ address: AddressView; createdOnExchange: boolean }> {
    const currency = checkNew(input, field);
    if (input.requestId) {
      const earlier = await this.addresses.byRequestId(actor.userId, input.requestId);
      if (earlier) return { address: replay(earlier, input, currency), createdOnExchange: false };
    }
    const { account, client } = await this.access.open(actor.userId, input.exchangeAccountId);
    const route = await resolveRoute(client, currency, input.network || undefined);
    const key = { exchangeAccountId: account.id, currency: route.currency.code, network: route.network.network };
    const existing = await this.addresses.routeView(key.exchangeAccountId, key.currency, key.network, "full");
    if (existing) return { address: existing, createdOnExchange: false };
    // One creator per route at a time, across replicas: no second address on the exchange. The lock
    // sits on a connection of its own, and no pool connection is held while the exchange answers.
    const lock = await this.locks.acquire(`route:${key.exchangeAccountId}:${key.currency}:${key.network}`, ROUTE_LOCK_WAIT_MS);
    try {
      const stored = await this.addresses.routeView(key.exchangeAccountId, key.currency, key.network, "full");
      if (stored) return { address: stored, createdOnExchange: false }; // the creator we waited for stored it
      const caps = client.capabilities;
      let fetched: ExchangeAddress | null = null;
      if (caps.fetchDepositAddress || caps.fetchDepositAddressesByNetwork) {
        fetched = (await client.fetchAddresses(route.currency, [route.network])).get(route.network.network) ?? null;
      }
      const createdOnExchange = !fetched;
      if (!fetched) {
        if (!caps.createDepositAddress) throw notProvisioned(account.exchangeId, route);
        fetched = await client.createAddress(route.currency, route.network);
      }
      const checked = this.checker.check(fetched, route, account);
      const { address } = await recordFetched(this.addresses, account, undefined, checked, route, actor, { annotations: input });
      return { address, createdOnExchange };
    } catch (err) {
      // A retry with the same request_id raced us and won: answer what it stored.
      if (isUniqueViolation(err) && input.requestId) {
        const winner = await this.addresses.byRequestId(actor.userId, input.requestId);
        if (winner) return { address: replay(winner, input, currency), createdOnExchange: false };
      }
      throw err;
    } finally {
      await lock.release();
    }
  }

  async get(userId: string, id: string, detail: AddressDetail): Promise<AddressView> {
    const view = await this.addresses.view(userId, id, detail);
    if (!view) throw new NotFoundError("deposit address", id);
    return view;
  }

  async list(filters: AddressFilters, page: PageRequest, detail: AddressDetail): Promise<Page<AddressView>> {
    return pageOf(await this.addresses.list(filters, page, detail), page);
  }

  async update(actor: Actor, id: string, changes: DepositAddressChanges): Promise<AddressView> {
    const v = new Violations();
    if (changes.label !== undefined) v.text("deposit_address.label", changes.label, 0, 100);
    if (changes.description !== undefined) v.text("deposit_address.description", changes.description, 0, 1000);
    if (changes.userMetadata !== undefined) v.stringMap("deposit_address.user_metadata", changes.userMetadata);
    v.throwIfAny();
    const repo = this.repo();
    const address = await this.owned(repo, actor.userId, id);
    const before: Record<string, unknown> = {};
    const after: Record<string, unknown> = {};
    const change = <K extends "label" | "description" | "userMetadata" | "isActive">(key: K, column: string, value: DepositAddress[K]) => {
      if (JSON.stringify(address[key]) === JSON.stringify(value)) return;
      before[column] = address[key];
      after[column] = value;
      address[key] = value;
    };
    if (changes.label !== undefined) change("label", "label", changes.label || null);
    if (changes.description !== undefined) change("description", "description", changes.description || null);
    if (changes.userMetadata !== undefined) change("userMetadata", "user_metadata", { ...changes.userMetadata });
    if (changes.isActive !== undefined) change("isActive", "is_active", changes.isActive);
    if (Object.keys(after).length > 0) {
      recordAddressEvent(repo.em, address, actor, "updated", before, after);
      await repo.em.flush();
    }
    return viewOfEntity(address, "full");
  }

  /** Soft delete: delete_time set, history kept. */
  async delete(actor: Actor, id: string): Promise<AddressView> {
    const repo = this.repo();
    const address = await this.owned(repo, actor.userId, id);
    const now = new Date();
    recordAddressEvent(repo.em, address, actor, "deleted", { is_active: address.isActive, delete_time: null }, { is_active: false, delete_time: now.toISOString() });
    address.isActive = false;
    address.deletedAt = now;
    await repo.em.flush();
    return viewOfEntity(address, "full");
  }

  /** Re-reads the address from the exchange; another address or tag is recorded with old and new values. */
  async refresh(actor: Actor, id: string): Promise<RefreshResult> {
    const current = await this.addresses.view(actor.userId, id, "basic");
    if (!current || current.deletedAt) throw new NotFoundError("deposit address", id);
    const { account, client } = await this.access.open(actor.userId, current.exchangeAccountId);
    const route = await resolveRoute(client, current.currency, current.network);
    const fetched = (await client.fetchAddresses(route.currency, [route.network])).get(route.network.network);
    if (!fetched) throw notProvisioned(account.exchangeId, route);
    const checked = this.checker.check(fetched, route, account);
    const { address, outcome, previous } = await recordFetched(this.addresses, account, current, checked, route, actor, { auditVerified: true });
    return { address, changed: outcome === "updated", previous };
  }

  /** The audit trail of an address of the caller (deleted ones too), newest first. */
  async activity(userId: string, addressId: string, page: PageRequest): Promise<Page<AddressEventView>> {
    if (!(await this.addresses.view(userId, addressId, "basic"))) throw new NotFoundError("deposit address", addressId);
    return pageOf(await listAddressEvents(this.em.fork() as SqlEntityManager, addressId, page), page);
  }

  /**
   * Creates several addresses of one account; each item succeeds or fails on
   * its own, in request order. Items run a few at a time: the exchange's rate
   * limit paces them anyway.
   */
  async batchCreate(actor: Actor, exchangeAccountId: string, items: readonly NewDepositAddress[]): Promise<(AddressView | DomainError)[]> {
    const v = new Violations().uuid("exchange_account_id", exchangeAccountId);
    if (items.length === 0 || items.length > 100) v.add("requests", "must hold 1 to 100 items");
    items.forEach((item, i) => {
      if (item.exchangeAccountId && item.exchangeAccountId !== exchangeAccountId) v.add(`requests[${i}].exchange_account_id`, "must be empty or the batch's exchange_account_id");
    });
    v.throwIfAny();
    await this.access.open(actor.userId, exchangeAccountId); // the whole batch fails on an account that is not the caller's
    const results: (AddressView | DomainError)[] = new Array(items.length);
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < items.length; i = next++) {
        try {
          results[i] = (await this.create(actor, { ...items[i]!, exchangeAccountId }, `requests[${i}].`)).address;
        } catch (err) {
          if (!(err instanceof DomainError)) throw err;
          results[i] = err;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(4, items.length) }, worker));
    return results;
  }

  private repo(): DepositAddressRepository {
    return new DepositAddressRepository(this.em.fork() as SqlEntityManager);
  }

  private async owned(repo: DepositAddressRepository, userId: string, id: string): Promise<DepositAddress> {
    const address = await repo.findOwned(userId, id);
    if (!address) throw new NotFoundError("deposit address", id);
    return address;
  }
}

/** Checks a create request, naming every bad field; answers the currency code, upper-cased. */
function checkNew(input: NewDepositAddress, prefix: string): string {
  const f = (name: string) => `${prefix}${name}`;
  const v = new Violations().uuid(f("exchange_account_id"), input.exchangeAccountId);
  const currency = input.currency.trim().toUpperCase();
  if (!currency) v.add(f("currency"), "required");
  else if (!/^[A-Z0-9.]{1,20}$/.test(currency)) v.add(f("currency"), "must be 1-20 letters, digits or '.'");
  if (input.network && !/^[A-Za-z0-9 _.()-]{1,50}$/.test(input.network)) v.add(f("network"), "must be 1-50 letters, digits, spaces, '_', '.', '(', ')' or '-'");
  v.text(f("label"), input.label ?? "", 0, 100).text(f("description"), input.description ?? "", 0, 1000);
  v.stringMap(f("user_metadata"), input.userMetadata ?? {}).requestId(f("request_id"), input.requestId ?? "");
  v.throwIfAny();
  return currency;
}

function replay(earlier: AddressView, input: NewDepositAddress, currency: string): AddressView {
  if (earlier.exchangeAccountId !== input.exchangeAccountId || earlier.currency !== currency) {
    throw new DomainError("already_exists", "REQUEST_ID_REUSED", "request_id was already used for another address", {
      metadata: { requestId: input.requestId ?? "" },
    });
  }
  return earlier;
}

function notProvisioned(exchange: string, route: Route): DomainError {
  return new DomainError(
    "failed_precondition",
    "DEPOSIT_ADDRESS_NOT_PROVISIONED",
    `the account has no ${route.currency.code} address on ${route.network.network} at ${exchange}, and ${exchange} does not let it be created through the API; create it on the exchange first`,
    { metadata: { exchange, currency: route.currency.code, network: route.network.network } },
  );
}

import type { EntityManager } from "@mikro-orm/postgresql";
import type { ExchangeAccount } from "../accounts/exchange-account.entity.js";
import type { Actor } from "../identity/caller.js";
import type { PageRequest } from "../pagination.js";
import type { AddressAnnotations } from "./address-annotations.js";
import type { AddressValidation, CheckedAddress } from "./address-check.js";
import type { Route } from "./address-route.js";
import { DepositAddressSchema, type DepositAddress } from "./deposit-address.entity.js";
import { type AddressDetail, type AddressView, viewColumns, viewOfRow } from "./deposit-address.view.js";

/** Filters of the address lists; userId always scopes them to the caller. */
export interface AddressFilters {
  readonly userId: string;
  readonly exchangeAccountId?: string;
  readonly exchangeId?: string;
  readonly currency?: string;
  readonly network?: string;
  readonly showDeleted: boolean;
}

/**
 * The queries of exchange_deposit_addresses. Reads are plain SQL into views
 * (no entity hydration on the hot paths); writes go through entities so the
 * address and its audit event share one unit of work.
 */
export class DepositAddressRepository {
  constructor(readonly em: EntityManager) {}

  /** One address of the user; deleted ones too (they answer with delete_time). */
  async view(userId: string, id: string, detail: AddressDetail): Promise<AddressView | undefined> {
    const rows = await this.em.execute(`select ${viewColumns(detail)} from exchange_deposit_addresses a where a.id = ? and a.user_id = ?`, [id, userId]);
    return rows[0] ? viewOfRow(rows[0]) : undefined;
  }

  /** A page in creation order (keyset on created_at, id), one row more than the page. */
  async list(filters: AddressFilters, page: PageRequest, detail: AddressDetail): Promise<AddressView[]> {
    const where = ["a.user_id = ?"];
    const params: unknown[] = [filters.userId];
    const add = (sql: string, value: unknown) => {
      where.push(sql);
      params.push(value);
    };
    if (!filters.showDeleted) where.push("a.deleted_at is null");
    if (filters.exchangeAccountId) add("a.exchange_account_id = ?", filters.exchangeAccountId);
    if (filters.exchangeId) add("a.exchange_id = ?", filters.exchangeId);
    if (filters.currency) add("a.currency = ?", filters.currency);
    if (filters.network) add("a.network = ?", filters.network);
    if (page.after) {
      where.push("(a.created_at, a.id) > (?, ?)");
      params.push(page.after.createdAt, page.after.id);
    }
    params.push(page.pageSize + 1);
    const rows = await this.em.execute(
      `select ${viewColumns(detail)} from exchange_deposit_addresses a where ${where.join(" and ")} order by a.created_at, a.id limit ?`,
      params,
    );
    return rows.map(viewOfRow);
  }

  /** The live address of a route, read-only. */
  async routeView(exchangeAccountId: string, currency: string, network: string, detail: AddressDetail = "basic"): Promise<AddressView | undefined> {
    const rows = await this.em.execute(
      `select ${viewColumns(detail)} from exchange_deposit_addresses a where a.exchange_account_id = ? and a.currency = ? and a.network = ? and a.deleted_at is null`,
      [exchangeAccountId, currency, network],
    );
    return rows[0] ? viewOfRow(rows[0]) : undefined;
  }

  /**
   * Records that the exchange confirmed an address unchanged: last_verified_at
   * moves, and with `actor` (a user's refresh, not a sync) a "verified" event
   * is written, in one statement. The commonest write of refreshes and syncs.
   * What was checked moves too: a row stored before checks existed gets them here.
   */
  async markVerified(id: string, tagRequired: boolean, validation: AddressValidation, actor?: Actor): Promise<AddressView> {
    const event = actor
      ? `, e as (insert into address_activity_log (address_id, user_id, action, new_values, ip_address, user_agent)
           select id, user_id, 'verified', jsonb_build_object('address', address, 'tag', tag), ?::inet, ? from u)`
      : "";
    const params: unknown[] = [tagRequired, validation, id];
    if (actor) params.push(actor.ipAddress ?? null, actor.userAgent ?? null);
    const rows = await this.em.execute(
      `with u as (update exchange_deposit_addresses set last_verified_at = now(), tag_required = ?, address_validation = ? where id = ? returning *)${event}
       select ${viewColumns("full", "u")} from u`,
      params,
    );
    return viewOfRow(rows[0]!);
  }

  /** Stores a route's address as the exchange gave it, with its "created" event. */
  async insertFetched(account: ExchangeAccount, route: Route, fetched: CheckedAddress, actor: Actor, annotations: AddressAnnotations): Promise<AddressView> {
    const rows = await this.em.execute(
      `with a as (
         insert into exchange_deposit_addresses (exchange_account_id, user_id, exchange_id, currency, network, address, tag, tag_required, address_validation,
           label, description, user_metadata, exchange_metadata, request_id, last_verified_at)
         values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, ?, now()) returning *),
       e as (
         insert into address_activity_log (address_id, user_id, action, new_values, ip_address, user_agent)
         select id, user_id, 'created', jsonb_build_object('currency', currency, 'network', network, 'address', address, 'tag', tag, 'label', label), ?::inet, ? from a)
       select ${viewColumns("full", "a")} from a`,
      [
        account.id, account.userId, account.exchangeId, route.currency.code, route.network.network, fetched.address, fetched.tag ?? null, route.network.tagRequired, fetched.validation,
        annotations.label || null, annotations.description || null, JSON.stringify(annotations.userMetadata ?? {}), JSON.stringify(fetched.raw), annotations.requestId || null,
        actor.ipAddress ?? null, actor.userAgent ?? null,
      ],
    );
    return viewOfRow(rows[0]!);
  }

  /** Records that the exchange now reports another address or tag, with old and new values. */
  async replaceFetched(id: string, fetched: CheckedAddress, tagRequired: boolean, actor: Actor, previous: { address: string; tag: string | null }): Promise<AddressView> {
    const rows = await this.em.execute(
      `with u as (
         update exchange_deposit_addresses set address = ?, tag = ?, tag_required = ?, address_validation = ?, exchange_metadata = ?::jsonb, last_verified_at = now(), updated_at = now()
         where id = ? returning *),
       e as (
         insert into address_activity_log (address_id, user_id, action, old_values, new_values, ip_address, user_agent)
         select id, user_id, 'changed', ?::jsonb, jsonb_build_object('address', address, 'tag', tag), ?::inet, ? from u)
       select ${viewColumns("full", "u")} from u`,
      [fetched.address, fetched.tag ?? null, tagRequired, fetched.validation, JSON.stringify(fetched.raw), id, JSON.stringify(previous), actor.ipAddress ?? null, actor.userAgent ?? null],
    );
    return viewOfRow(rows[0]!);
  }

  /** The entity of a live address of the user, for a change. */
  findOwned(userId: string, id: string): Promise<DepositAddress | null> {
    return this.em.findOne(DepositAddressSchema, { id, userId, deletedAt: null });
  }

  findByRequestId(userId: string, requestId: string): Promise<DepositAddress | null> {
    return this.em.findOne(DepositAddressSchema, { userId, requestId });
  }

  /** Every live address of an account, for syncs. */
  liveOfAccount(exchangeAccountId: string): Promise<DepositAddress[]> {
    return this.em.find(DepositAddressSchema, { exchangeAccount: exchangeAccountId, deletedAt: null });
  }
}

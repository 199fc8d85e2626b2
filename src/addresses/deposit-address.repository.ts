import type { EntityManager } from "@mikro-orm/postgresql";
import { runPrepared, type Statement } from "../db/prepared.js";
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

/** The one soft-delete rule: a live address has no deleted_at (SQL on alias `a`, and the same as an ORM filter). */
export const LIVE = "a.deleted_at is null";
export const LIVE_FILTER = { deletedAt: null } as const;

/** The hot path's data access, as the service sees it (a fake stands in for it in unit tests). */
export interface DepositAddresses {
  view(userId: string, id: string, detail: AddressDetail): Promise<AddressView | undefined>;
  list(filters: AddressFilters, page: PageRequest, detail: AddressDetail): Promise<AddressView[]>;
  routeView(exchangeAccountId: string, currency: string, network: string, detail?: AddressDetail): Promise<AddressView | undefined>;
  byRequestId(userId: string, requestId: string): Promise<AddressView | undefined>;
  markVerified(id: string, tagRequired: boolean, validation: AddressValidation, actor?: Actor): Promise<AddressView>;
  insertFetched(account: ExchangeAccount, route: Route, fetched: CheckedAddress, actor: Actor, annotations: AddressAnnotations): Promise<AddressView>;
  replaceFetched(id: string, fetched: CheckedAddress, tagRequired: boolean, actor: Actor, previous: { address: string; tag: string | null }): Promise<AddressView>;
}

/** Statements by name, each text built once. */
const statements = new Map<string, Statement>();
function statement(name: string, text: () => string): Statement {
  let s = statements.get(name);
  if (!s) statements.set(name, (s = { name, text: text() }));
  return s;
}

const LIST_FILTERS = [
  ["exchangeAccountId", "a.exchange_account_id"],
  ["exchangeId", "a.exchange_id"],
  ["currency", "a.currency"],
  ["network", "a.network"],
] as const;

/**
 * The queries of exchange_deposit_addresses. The hot reads and writes (Get,
 * List, a create's route reads and insert, a refresh's or sync's update) are
 * named prepared statements (db/prepared.ts) mapped by viewOfRow; the writes
 * that change an entity the user edits go through the ORM, so the address and
 * its audit event share one unit of work.
 */
export class DepositAddressRepository implements DepositAddresses {
  constructor(readonly em: EntityManager) {}

  /** One address of the user; deleted ones too (they answer with delete_time). */
  async view(userId: string, id: string, detail: AddressDetail): Promise<AddressView | undefined> {
    const s = statement(`address_view_${detail}`, () => `select ${viewColumns(detail)} from exchange_deposit_addresses a where a.id = $1 and a.user_id = $2`);
    return this.one(s, [id, userId]);
  }

  /** A page in creation order (keyset on created_at, id), one row more than the page. */
  async list(filters: AddressFilters, page: PageRequest, detail: AddressDetail): Promise<AddressView[]> {
    // One statement per combination of filters present: at most 2 x 2^6 texts, each prepared once per connection.
    const where = ["a.user_id = $1"];
    const values: unknown[] = [filters.userId];
    let name = `address_list_${detail}_`;
    if (!filters.showDeleted) where.push(LIVE);
    name += filters.showDeleted ? "d" : "l";
    for (const [key, column] of LIST_FILTERS) {
      const value = filters[key];
      name += value ? "1" : "0";
      if (!value) continue;
      values.push(value);
      where.push(`${column} = $${values.length}`);
    }
    if (page.after) {
      values.push(page.after.createdAt, page.after.id);
      where.push(`(a.created_at, a.id) > ($${values.length - 1}, $${values.length})`);
    }
    name += page.after ? "a" : "f";
    values.push(page.pageSize + 1);
    const s = statement(name, () => `select ${viewColumns(detail)} from exchange_deposit_addresses a where ${where.join(" and ")} order by a.created_at, a.id limit $${values.length}`);
    return (await runPrepared(this.em, s, values)).map(viewOfRow);
  }

  /** The live address of a route, read-only. */
  async routeView(exchangeAccountId: string, currency: string, network: string, detail: AddressDetail = "basic"): Promise<AddressView | undefined> {
    const s = statement(`address_route_${detail}`, () => `select ${viewColumns(detail)} from exchange_deposit_addresses a where a.exchange_account_id = $1 and a.currency = $2 and a.network = $3 and ${LIVE}`);
    return this.one(s, [exchangeAccountId, currency, network]);
  }

  /** The address a create with this request_id stored (deleted or not), in the FULL view. */
  async byRequestId(userId: string, requestId: string): Promise<AddressView | undefined> {
    const s = statement("address_by_request", () => `select ${viewColumns("full")} from exchange_deposit_addresses a where a.user_id = $1 and a.request_id = $2`);
    return this.one(s, [userId, requestId]);
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
           select id, user_id, 'verified', jsonb_build_object('address', address, 'tag', tag), $4::inet, $5 from u)`
      : "";
    const values: unknown[] = [tagRequired, validation, id];
    if (actor) values.push(actor.ipAddress ?? null, actor.userAgent ?? null);
    const s = statement(actor ? "address_verified_audited" : "address_verified", () =>
      `with u as (update exchange_deposit_addresses set last_verified_at = now(), tag_required = $1, address_validation = $2 where id = $3 returning *)${event}
       select ${viewColumns("full", "u")} from u`);
    return viewOfRow((await runPrepared(this.em, s, values))[0]!);
  }

  /** Stores a route's address as the exchange gave it, with its "created" event. */
  async insertFetched(account: ExchangeAccount, route: Route, fetched: CheckedAddress, actor: Actor, annotations: AddressAnnotations): Promise<AddressView> {
    const s = statement("address_insert", () => `with a as (
         insert into exchange_deposit_addresses (exchange_account_id, user_id, exchange_id, currency, network, address, tag, tag_required, address_validation,
           label, description, user_metadata, exchange_metadata, request_id, last_verified_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::jsonb, $13::jsonb, $14, now()) returning *),
       e as (
         insert into address_activity_log (address_id, user_id, action, new_values, ip_address, user_agent)
         select id, user_id, 'created', jsonb_build_object('currency', currency, 'network', network, 'address', address, 'tag', tag, 'label', label), $15::inet, $16 from a)
       select ${viewColumns("full", "a")} from a`);
    const rows = await runPrepared(this.em, s, [
      account.id, account.userId, account.exchangeId, route.currency.code, route.network.network, fetched.address, fetched.tag ?? null, route.network.tagRequired, fetched.validation,
      annotations.label || null, annotations.description || null, JSON.stringify(annotations.userMetadata ?? {}), JSON.stringify(fetched.raw), annotations.requestId || null,
      actor.ipAddress ?? null, actor.userAgent ?? null,
    ]);
    return viewOfRow(rows[0]!);
  }

  /** Records that the exchange now reports another address or tag, with old and new values. */
  async replaceFetched(id: string, fetched: CheckedAddress, tagRequired: boolean, actor: Actor, previous: { address: string; tag: string | null }): Promise<AddressView> {
    const s = statement("address_replace", () => `with u as (
         update exchange_deposit_addresses set address = $1, tag = $2, tag_required = $3, address_validation = $4, exchange_metadata = $5::jsonb, last_verified_at = now(), updated_at = now()
         where id = $6 returning *),
       e as (
         insert into address_activity_log (address_id, user_id, action, old_values, new_values, ip_address, user_agent)
         select id, user_id, 'changed', $7::jsonb, jsonb_build_object('address', address, 'tag', tag), $8::inet, $9 from u)
       select ${viewColumns("full", "u")} from u`);
    const rows = await runPrepared(this.em, s, [
      fetched.address, fetched.tag ?? null, tagRequired, fetched.validation, JSON.stringify(fetched.raw), id, JSON.stringify(previous), actor.ipAddress ?? null, actor.userAgent ?? null,
    ]);
    return viewOfRow(rows[0]!);
  }

  /** The entity of a live address of the user, for a change. */
  findOwned(userId: string, id: string): Promise<DepositAddress | null> {
    return this.em.findOne(DepositAddressSchema, { id, userId, ...LIVE_FILTER });
  }

  /** Every live address of an account, for syncs. */
  liveOfAccount(exchangeAccountId: string): Promise<DepositAddress[]> {
    return this.em.find(DepositAddressSchema, { exchangeAccount: exchangeAccountId, ...LIVE_FILTER });
  }

  private async one(s: Statement, values: readonly unknown[]): Promise<AddressView | undefined> {
    const rows = await runPrepared(this.em, s, values);
    return rows[0] ? viewOfRow(rows[0]) : undefined;
  }
}

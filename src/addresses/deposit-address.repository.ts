import type { EntityManager } from "@mikro-orm/postgresql";
import type { PageRequest } from "../pagination.js";
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

  /** The entity of a live address of the user, for a change. */
  findOwned(userId: string, id: string): Promise<DepositAddress | null> {
    return this.em.findOne(DepositAddressSchema, { id, userId, deletedAt: null });
  }

  /** The live address of an account for a currency and network, if any. */
  findRoute(exchangeAccountId: string, currency: string, network: string): Promise<DepositAddress | null> {
    return this.em.findOne(DepositAddressSchema, { exchangeAccount: exchangeAccountId, currency, network, deletedAt: null });
  }

  findByRequestId(userId: string, requestId: string): Promise<DepositAddress | null> {
    return this.em.findOne(DepositAddressSchema, { userId, requestId });
  }

  /** Every live address of an account, for syncs. */
  liveOfAccount(exchangeAccountId: string): Promise<DepositAddress[]> {
    return this.em.find(DepositAddressSchema, { exchangeAccount: exchangeAccountId, deletedAt: null });
  }
}

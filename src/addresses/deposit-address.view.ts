import { dateOrNull } from "../db/row-values.js";
import type { AddressValidation } from "./address-check.js";
import type { DepositAddress } from "./deposit-address.entity.js";

/**
 * A deposit address as the service answers it: a plain object, read straight
 * from SQL rows on the hot paths (Get, List) or from an entity after a write.
 */
export interface AddressView {
  readonly id: string;
  readonly exchangeAccountId: string;
  readonly userId: string;
  readonly exchangeId: string;
  readonly currency: string;
  readonly address: string;
  readonly tag: string | null;
  readonly network: string;
  readonly tagRequired: boolean;
  /** Whether the address passed its network's format and checksum checks, or had none. */
  readonly addressValidation: AddressValidation;
  readonly addressType: string;
  readonly label: string | null;
  readonly description: string | null;
  readonly isActive: boolean;
  readonly lastVerifiedAt: Date | null;
  readonly userMetadata: Record<string, string>;
  /** Absent in the BASIC view. */
  readonly exchangeMetadata?: Record<string, unknown>;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly deletedAt: Date | null;
}

/** BASIC leaves the exchange's raw answer out (lists); FULL has it (Get). */
export type AddressDetail = "basic" | "full";

/** The columns of a view, in SQL; `full` adds exchange_metadata. */
export function viewColumns(detail: AddressDetail, alias = "a"): string {
  const cols = [
    "id", "exchange_account_id", "user_id", "exchange_id", "currency", "address", "tag", "network", "tag_required", "address_validation",
    "address_type", "label", "description", "is_active", "last_verified_at", "user_metadata", "created_at", "updated_at", "deleted_at",
  ];
  if (detail === "full") cols.push("exchange_metadata");
  return cols.map((c) => `${alias}.${c}`).join(", ");
}

/** A raw row (snake_case, as the driver returns it) as a view. */
export function viewOfRow(row: Record<string, unknown>): AddressView {
  return {
    id: row.id as string,
    exchangeAccountId: row.exchange_account_id as string,
    userId: row.user_id as string,
    exchangeId: row.exchange_id as string,
    currency: row.currency as string,
    address: row.address as string,
    tag: row.tag as string | null,
    network: row.network as string,
    tagRequired: row.tag_required as boolean,
    addressValidation: row.address_validation as AddressValidation,
    addressType: row.address_type as string,
    label: row.label as string | null,
    description: row.description as string | null,
    isActive: row.is_active as boolean,
    lastVerifiedAt: dateOrNull(row.last_verified_at),
    userMetadata: (row.user_metadata ?? {}) as Record<string, string>,
    exchangeMetadata: row.exchange_metadata as Record<string, unknown> | undefined,
    createdAt: dateOrNull(row.created_at)!,
    updatedAt: dateOrNull(row.updated_at)!,
    deletedAt: dateOrNull(row.deleted_at),
  };
}


/** An entity, just written, as a view. */
export function viewOfEntity(a: DepositAddress, detail: AddressDetail): AddressView {
  return {
    id: a.id,
    exchangeAccountId: a.exchangeAccount.id,
    userId: a.userId,
    exchangeId: a.exchangeId,
    currency: a.currency,
    address: a.address,
    tag: a.tag ?? null,
    network: a.network,
    tagRequired: a.tagRequired,
    addressValidation: a.addressValidation,
    addressType: a.addressType,
    label: a.label ?? null,
    description: a.description ?? null,
    isActive: a.isActive,
    lastVerifiedAt: a.lastVerifiedAt ?? null,
    userMetadata: a.userMetadata,
    exchangeMetadata: detail === "full" ? a.exchangeMetadata : undefined,
    createdAt: a.createdAt,
    updatedAt: a.updatedAt,
    deletedAt: a.deletedAt ?? null,
  };
}

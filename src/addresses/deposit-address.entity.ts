import { defineEntity, type InferEntity, p } from "@mikro-orm/core";
import { ExchangeAccountSchema } from "../accounts/exchange-account.entity.js";
import type { AddressValidation } from "./address-check.js";

/** A deposit address of an exchange account (table exchange_deposit_addresses). */
export const DepositAddressSchema = defineEntity({
  name: "DepositAddress",
  tableName: "exchange_deposit_addresses",
  properties: {
    id: p.uuid().primary().defaultRaw("gen_random_uuid()"),
    exchangeAccount: () => p.manyToOne(ExchangeAccountSchema).fieldName("exchange_account_id"),
    userId: p.uuid(),
    exchangeId: p.string().length(50),
    currency: p.string().length(20),
    address: p.string().length(255),
    tag: p.string().length(100).nullable(),
    network: p.string().length(50),
    tagRequired: p.boolean().default(false),
    /** Rows from before addresses were checked are "not_checked" until a refresh or sync re-verifies them. */
    addressValidation: p.string().length(20).$type<AddressValidation>().default("not_checked"),
    addressType: p.string().length(20).default("deposit"),
    label: p.string().length(100).nullable(),
    description: p.text().nullable(),
    isActive: p.boolean().default(true),
    lastVerifiedAt: p.datetime().nullable(),
    exchangeMetadata: p.json<Record<string, unknown>>().default("{}"),
    userMetadata: p.json<Record<string, string>>().default("{}"),
    requestId: p.string().length(64).nullable(),
    createdAt: p.datetime(3).defaultRaw("now()").onCreate(() => new Date()),
    updatedAt: p.datetime().defaultRaw("now()").onCreate(() => new Date()).onUpdate(() => new Date()),
    deletedAt: p.datetime().nullable(),
  },
  indexes: [
    { name: "idx_user_addresses", properties: ["userId", "isActive"] },
    { name: "idx_exchange_currency", properties: ["exchangeId", "currency"] },
    { name: "idx_address_lookup", properties: ["address", "exchangeId"] },
    {
      name: "idx_addresses_user_page",
      expression:
        "create index idx_addresses_user_page on exchange_deposit_addresses (user_id, created_at, id) where deleted_at is null",
    },
  ],
  uniques: [
    {
      // One live address per account, currency and network: what stops a second
      // address being created on the exchange for the same deposit route.
      name: "uq_addresses_account_route",
      expression:
        "create unique index uq_addresses_account_route on exchange_deposit_addresses (exchange_account_id, currency, network) where deleted_at is null",
    },
    { name: "uq_addresses_user_request", properties: ["userId", "requestId"] },
  ],
});

export type DepositAddress = InferEntity<typeof DepositAddressSchema>;

import { defineEntity, type InferEntity, p } from "@mikro-orm/core";
import { DepositAddressSchema } from "./deposit-address.entity.js";

/** One change to a deposit address (table address_activity_log): the audit trail. */
export const AddressEventSchema = defineEntity({
  name: "AddressEvent",
  tableName: "address_activity_log",
  properties: {
    id: p.uuid().primary().defaultRaw("gen_random_uuid()"),
    address: () => p.manyToOne(DepositAddressSchema).fieldName("address_id"),
    userId: p.uuid(),
    action: p.string().length(50),
    oldValues: p.json<Record<string, unknown>>().nullable(),
    newValues: p.json<Record<string, unknown>>().nullable(),
    ipAddress: p.string().columnType("inet").nullable(),
    userAgent: p.text().nullable(),
    createdAt: p.datetime(3).defaultRaw("now()").onCreate(() => new Date()),
  },
  indexes: [
    { name: "idx_address_activity", properties: ["address", "createdAt"] },
    { name: "idx_user_activity", properties: ["userId", "createdAt"] },
  ],
});

export type AddressEvent = InferEntity<typeof AddressEventSchema>;

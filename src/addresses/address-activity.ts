import type { EntityManager } from "@mikro-orm/core";
import type { Actor } from "../identity/caller.js";
import { AddressEventSchema } from "./address-event.entity.js";
import type { DepositAddress } from "./deposit-address.entity.js";

/** What happened to an address, as stored in address_activity_log.action. */
export type AddressAction = "created" | "updated" | "deleted" | "verified" | "changed";

/**
 * Adds one audit event to the unit of work: the change, old and new values,
 * and who made it from where. It is written with the change itself, in the
 * same flush, so there is never a change without its event.
 */
export function recordAddressEvent(
  em: EntityManager,
  address: DepositAddress,
  actor: Actor,
  action: AddressAction,
  oldValues: Record<string, unknown> | null,
  newValues: Record<string, unknown> | null,
): void {
  em.create(AddressEventSchema, {
    address,
    userId: address.userId,
    action,
    oldValues,
    newValues,
    ipAddress: actor.ipAddress ?? null,
    userAgent: actor.userAgent ?? null,
  });
}

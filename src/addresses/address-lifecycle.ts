import type { EntityManager } from "@mikro-orm/core";
import type { Actor } from "../identity/caller.js";
import { recordAddressEvent } from "./address-activity.js";
import { DepositAddressSchema } from "./deposit-address.entity.js";
import { LIVE_FILTER } from "./deposit-address.repository.js";

/** Soft-deletes every live address of an account, each with its audit event; the caller flushes. */
export async function softDeleteAccountAddresses(em: EntityManager, accountId: string, actor: Actor, now: Date): Promise<number> {
  const addresses = await em.find(DepositAddressSchema, { exchangeAccount: accountId, ...LIVE_FILTER });
  for (const address of addresses) {
    const before = { is_active: address.isActive, delete_time: null };
    address.isActive = false;
    address.deletedAt = now;
    recordAddressEvent(em, address, actor, "deleted", before, { is_active: false, delete_time: now.toISOString() });
  }
  return addresses.length;
}

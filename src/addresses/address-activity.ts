import type { EntityManager } from "@mikro-orm/core";
import type { EntityManager as SqlEntityManager } from "@mikro-orm/postgresql";
import { dateOrNull } from "../db/row-values.js";
import type { PageRequest } from "../pagination.js";
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

/** One audit event, as read back. */
export interface AddressEventView {
  readonly id: string;
  readonly addressId: string;
  readonly userId: string;
  readonly action: AddressAction;
  readonly oldValues: Record<string, unknown> | null;
  readonly newValues: Record<string, unknown> | null;
  readonly ipAddress: string | null;
  readonly userAgent: string | null;
  readonly createdAt: Date;
}

/** A page of an address's events, newest first (keyset on created_at, id descending). */
export async function listAddressEvents(em: SqlEntityManager, addressId: string, page: PageRequest): Promise<AddressEventView[]> {
  const params: unknown[] = [addressId];
  let after = "";
  if (page.after) {
    after = "and (created_at, id) < (?, ?)";
    params.push(page.after.createdAt, page.after.id);
  }
  params.push(page.pageSize + 1);
  const rows = await em.execute(
    `select id, address_id, user_id, action, old_values, new_values, host(ip_address) as ip_address, user_agent, created_at
     from address_activity_log where address_id = ? ${after} order by created_at desc, id desc limit ?`,
    params,
  );
  return rows.map((r) => ({
    id: r.id as string,
    addressId: r.address_id as string,
    userId: r.user_id as string,
    action: r.action as AddressAction,
    oldValues: r.old_values as Record<string, unknown> | null,
    newValues: r.new_values as Record<string, unknown> | null,
    ipAddress: r.ip_address as string | null,
    userAgent: r.user_agent as string | null,
    createdAt: dateOrNull(r.created_at)!,
  }));
}

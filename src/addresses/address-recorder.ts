import type { EntityManager } from "@mikro-orm/core";
import type { ExchangeAccount } from "../accounts/exchange-account.entity.js";
import type { ExchangeAddress } from "../exchange/exchange-client.js";
import type { Actor } from "../identity/caller.js";
import { recordAddressEvent } from "./address-activity.js";
import type { Route } from "./address-route.js";
import { type DepositAddress, DepositAddressSchema } from "./deposit-address.entity.js";

/** What recording an exchange's answer did to our copy. */
export type RecordOutcome = "added" | "updated" | "unchanged";

/** What a user asked to attach to a new address. */
export interface AddressAnnotations {
  readonly label?: string;
  readonly description?: string;
  readonly userMetadata?: Readonly<Record<string, string>>;
  readonly requestId?: string;
}

/**
 * Keeps our copy of an address in line with what the exchange just said, in
 * the caller's unit of work: a new route is added (event "created"); the same
 * address and tag only moves last_verified_at; another address or tag is
 * recorded with old and new values (event "changed"), never silently.
 */
export function recordFetched(
  em: EntityManager,
  account: ExchangeAccount,
  existing: DepositAddress | null,
  fetched: ExchangeAddress,
  route: Route,
  actor: Actor,
  annotations: AddressAnnotations = {},
): { address: DepositAddress; outcome: RecordOutcome; previous?: { address: string; tag: string | null } } {
  const now = new Date();
  const tag = fetched.tag ?? null;
  if (!existing) {
    const address = em.create(DepositAddressSchema, {
      exchangeAccount: account.id,
      userId: account.userId,
      exchangeId: account.exchangeId,
      currency: route.currency.code,
      network: route.network.network,
      address: fetched.address,
      tag,
      tagRequired: route.network.tagRequired,
      label: annotations.label || null,
      description: annotations.description || null,
      userMetadata: { ...(annotations.userMetadata ?? {}) },
      exchangeMetadata: fetched.raw,
      requestId: annotations.requestId || null,
      lastVerifiedAt: now,
    });
    recordAddressEvent(em, address, actor, "created", null, {
      currency: address.currency,
      network: address.network,
      address: address.address,
      tag,
      label: address.label,
    });
    return { address, outcome: "added" };
  }
  existing.lastVerifiedAt = now;
  existing.tagRequired = route.network.tagRequired;
  if (existing.address === fetched.address && (existing.tag ?? null) === tag) return { address: existing, outcome: "unchanged" };
  const previous = { address: existing.address, tag: existing.tag ?? null };
  existing.address = fetched.address;
  existing.tag = tag;
  existing.exchangeMetadata = fetched.raw;
  recordAddressEvent(em, existing, actor, "changed", previous, { address: fetched.address, tag });
  return { address: existing, outcome: "updated", previous };
}

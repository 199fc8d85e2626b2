import type { ExchangeAccount } from "../accounts/exchange-account.entity.js";
import type { Actor } from "../identity/caller.js";
import type { AddressAnnotations } from "./address-annotations.js";
import type { CheckedAddress } from "./address-check.js";
import type { Route } from "./address-route.js";
import type { DepositAddresses } from "./deposit-address.repository.js";
import type { AddressView } from "./deposit-address.view.js";

/** What recording an exchange's answer did to our copy. */
export type RecordOutcome = "added" | "updated" | "unchanged";

/**
 * Keeps our copy of an address in line with what the exchange just said, each
 * case one statement with its audit event: a new route is added ("created");
 * the same address and tag only moves last_verified_at (a "verified" event
 * when a user asked); another address or tag is recorded with old and new
 * values ("changed"), never silently. Only a checked answer gets here
 * (AddressChecker), and what was checked is stored with it.
 */
export async function recordFetched(
  repo: DepositAddresses,
  account: ExchangeAccount,
  held: AddressView | undefined,
  fetched: CheckedAddress,
  route: Route,
  actor: Actor,
  options: { annotations?: AddressAnnotations; auditVerified?: boolean } = {},
): Promise<{ address: AddressView; outcome: RecordOutcome; previous?: { address: string; tag: string | null } }> {
  const tag = fetched.tag ?? null;
  const tagRequired = route.network.tagRequired;
  if (!held) {
    return { address: await repo.insertFetched(account, route, fetched, actor, options.annotations ?? {}), outcome: "added" };
  }
  if (held.address === fetched.address && held.tag === tag) {
    return { address: await repo.markVerified(held.id, tagRequired, fetched.validation, options.auditVerified ? actor : undefined), outcome: "unchanged" };
  }
  const previous = { address: held.address, tag: held.tag };
  return { address: await repo.replaceFetched(held.id, fetched, tagRequired, actor, previous), outcome: "updated", previous };
}

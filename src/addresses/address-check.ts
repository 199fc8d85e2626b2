import { Counter, type Registry } from "prom-client";
import type { ExchangeAccount } from "../accounts/exchange-account.entity.js";
import { DomainError } from "../errors.js";
import { checkDepositAddress } from "../exchange/address-formats.js";
import type { ExchangeAddress } from "../exchange/exchange-client.js";
import type { Logger } from "../logger.js";
import { assertTagged, type Route } from "./address-route.js";

/** What the service checked of a stored address: its network's format and checksum, or only that it can be stored. */
export type AddressValidation = "valid" | "not_checked";

/** An exchange's answer that passed the checks: the only kind the recorder stores. */
export interface CheckedAddress extends ExchangeAddress {
  readonly validation: AddressValidation;
}

const WHAT_FAILED = { format: "is not a well-formed", checksum: "fails the checksum of a", tag: "has a malformed tag for a" } as const;

/**
 * The one gate between an exchange's address answer and our table, on every
 * path (create, refresh, sync): a tag network's address has its tag, and the
 * address (and tag) pass its network's format and checksum rules. Users send
 * money to what we store, so an address that fails is never stored or
 * returned: DEPOSIT_ADDRESS_INVALID, counted and logged. Retrying gets the
 * same answer from the exchange, hence FAILED_PRECONDITION.
 */
export class AddressChecker {
  private readonly invalid: Counter<"exchange" | "network">;

  constructor(
    registry: Registry,
    private readonly logger: Logger,
  ) {
    this.invalid = new Counter({
      name: "wallet_deposit_addresses_invalid_total",
      help: "Deposit addresses exchanges answered that failed their network's format, checksum or tag checks (not stored)",
      labelNames: ["exchange", "network"],
      registers: [registry],
    });
  }

  check(fetched: ExchangeAddress, route: Route, account: Pick<ExchangeAccount, "id" | "exchangeId" | "sandboxMode">): CheckedAddress {
    const exchange = account.exchangeId;
    const currency = route.currency.code;
    const network = route.network.network;
    assertTagged(fetched, route, exchange);
    const result = checkDepositAddress(network, fetched.address, fetched.tag, { testnet: account.sandboxMode });
    if (result.result !== "invalid") return { ...fetched, validation: result.result };
    this.invalid.inc({ exchange, network });
    this.logger.warn(
      { exchange, currency, network, exchangeAccountId: account.id, address: fetched.address.slice(0, 120), tag: fetched.tag?.slice(0, 120), failed: result.failed, detail: result.reason },
      "exchange answered an invalid deposit address; not stored",
    );
    throw new DomainError("failed_precondition", "DEPOSIT_ADDRESS_INVALID", `${exchange} answered a ${currency} address that ${WHAT_FAILED[result.failed]} ${network} address (${result.reason}); it was not stored`, {
      metadata: { exchange, currency, network, failed: result.failed },
    });
  }
}

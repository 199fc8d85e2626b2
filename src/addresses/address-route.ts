import { DomainError } from "../errors.js";
import type { CurrencyInfo, ExchangeAddress, ExchangeClient, NetworkInfo } from "../exchange/exchange-client.js";
import { canonicalNetwork } from "../exchange/networks.js";

/** A currency and one of its deposit networks on an exchange: where an address lives. */
export interface Route {
  readonly currency: CurrencyInfo;
  readonly network: NetworkInfo;
}

/**
 * Resolves a currency (and network, when given) against what the exchange
 * lists: an unknown currency is CURRENCY_NOT_SUPPORTED; several deposit
 * networks and none given is NETWORK_REQUIRED, naming them; exactly one is
 * taken. What is stored always has an explicit network.
 */
export async function resolveRoute(client: ExchangeClient, code: string, network: string | undefined): Promise<Route> {
  const currency = await client.currency(code);
  const exchange = client.exchangeId;
  if (!currency) {
    throw new DomainError("invalid_argument", "CURRENCY_NOT_SUPPORTED", `${exchange} does not list ${code}`, {
      metadata: { exchange, currency: code },
      violations: [{ field: "currency", description: `not listed by ${exchange}` }],
    });
  }
  const open = currency.networks.filter((n) => n.depositEnabled);
  const names = open.map((n) => n.network).join(", ");
  if (network) {
    const wanted = canonicalNetwork(network, code);
    const match = currency.networks.find((n) => n.network === wanted);
    if (!match || !match.depositEnabled) {
      throw new DomainError("invalid_argument", "NETWORK_NOT_SUPPORTED", `${exchange} takes no ${code} deposits on ${wanted}${names ? `; it does on ${names}` : ""}`, {
        metadata: { exchange, currency: code, networks: names },
        violations: [{ field: "network", description: names ? `must be one of ${names}` : `${code} takes no deposits on ${exchange}` }],
      });
    }
    return { currency, network: match };
  }
  if (open.length === 1) return { currency, network: open[0]! };
  if (open.length === 0) {
    throw new DomainError("failed_precondition", "CURRENCY_NOT_SUPPORTED", `${exchange} takes no ${code} deposits at the moment`, {
      metadata: { exchange, currency: code },
    });
  }
  throw new DomainError("invalid_argument", "NETWORK_REQUIRED", `${code} has several deposit networks on ${exchange}: choose one of ${names}`, {
    metadata: { exchange, currency: code, networks: names },
    violations: [{ field: "network", description: `required: one of ${names}` }],
  });
}

/** A tag/memo network's address is never taken without its tag: funds sent without it are lost. */
export function assertTagged(fetched: ExchangeAddress, route: Route, exchange: string): void {
  if (route.network.tagRequired && !fetched.tag) {
    throw new DomainError("unavailable", "DEPOSIT_TAG_MISSING", `${exchange} answered a ${route.currency.code} address on ${route.network.network} without the tag deposits need`, {
      metadata: { exchange, currency: route.currency.code, network: route.network.network },
      retryAfterMs: 5000,
    });
  }
}

import { exchangeClass } from "./ccxt-modules.js";
import type { ExchangeCapabilities } from "./exchange-client.js";
import { keyPermissionsReader } from "./key-permissions.js";


const cache = new Map<string, ExchangeCapabilities>();

/** Static facts: the CCXT class's `has`, and whether we know the exchange's key-permission endpoint. No network. */
export async function capabilitiesOf(exchange: { readonly id: string; readonly ccxtId: string }): Promise<ExchangeCapabilities> {
  let caps = cache.get(exchange.id);
  if (!caps) {
    const has = new (await exchangeClass(exchange.ccxtId))().has;
    caps = {
      fetchDepositAddress: has.fetchDepositAddress === true,
      createDepositAddress: has.createDepositAddress === true,
      fetchDepositAddressesByNetwork: has.fetchDepositAddressesByNetwork === true,
      fetchKeyPermissions: keyPermissionsReader(exchange.id) !== undefined,
    };
    cache.set(exchange.id, caps);
  }
  return caps;
}

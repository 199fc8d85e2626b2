import ccxt from "ccxt";
import { keyPermissionsReader } from "./key-permissions.js";

/** What the service can do with deposit addresses and keys on an exchange. */
export interface ExchangeCapabilities {
  readonly fetchDepositAddress: boolean;
  readonly createDepositAddress: boolean;
  readonly fetchDepositAddressesByNetwork: boolean;
  readonly fetchKeyPermissions: boolean;
}

const cache = new Map<string, ExchangeCapabilities>();

/** Static facts: the CCXT class's `has`, and whether we know the exchange's key-permission endpoint. No network. */
export function capabilitiesOf(exchange: { readonly id: string; readonly ccxtId: string }): ExchangeCapabilities {
  let caps = cache.get(exchange.id);
  if (!caps) {
    const ExchangeClass = (ccxt as unknown as Record<string, new () => { has: Record<string, unknown> }>)[exchange.ccxtId];
    if (!ExchangeClass) throw new Error(`ccxt has no exchange "${exchange.ccxtId}"`);
    const has = new ExchangeClass().has;
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

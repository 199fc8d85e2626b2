import ccxt from "ccxt";

/** What the service can do with deposit addresses on an exchange. */
export interface ExchangeCapabilities {
  readonly fetchDepositAddress: boolean;
  readonly createDepositAddress: boolean;
  readonly fetchDepositAddressesByNetwork: boolean;
}

const cache = new Map<string, ExchangeCapabilities>();

/** Reads a CCXT class's `has` once: static facts of the library, no network. */
export function capabilitiesOf(ccxtId: string): ExchangeCapabilities {
  let caps = cache.get(ccxtId);
  if (!caps) {
    const ExchangeClass = (ccxt as unknown as Record<string, new () => { has: Record<string, unknown> }>)[ccxtId];
    if (!ExchangeClass) throw new Error(`ccxt has no exchange "${ccxtId}"`);
    const has = new ExchangeClass().has;
    caps = {
      fetchDepositAddress: has.fetchDepositAddress === true,
      createDepositAddress: has.createDepositAddress === true,
      fetchDepositAddressesByNetwork: has.fetchDepositAddressesByNetwork === true,
    };
    cache.set(ccxtId, caps);
  }
  return caps;
}

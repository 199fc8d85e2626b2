import type { SimAccount, SimAddress } from './account.js';
import type { Catalogue, ListedCurrency, ListedNetwork } from './catalogue.js';
import { SimError } from './dialect.js';

/** A listed currency, or the exchange's "unknown currency" answer. */
export function listedCurrency(catalogue: Catalogue, code: string): ListedCurrency {
  const listed = catalogue.get(code);
  if (listed === undefined) throw new SimError('bad_request', `unknown currency ${code}`);
  return listed;
}

/** A listed chain of a currency, or the exchange's "unsupported network" answer. */
export function listedNetwork(catalogue: Catalogue, code: string, chain: string): ListedNetwork {
  const listed = catalogue.network(code, chain);
  if (listed === undefined) throw new SimError('bad_request', `${code} has no network ${chain}`);
  return listed;
}

/**
 * The address to hand out for one chain: the current one, or a new one when `create` is set and
 * the chain takes deposits. Undefined when none exists and none may be made.
 */
export function depositAddress(
  account: SimAccount,
  catalogue: Catalogue,
  code: string,
  chain: string,
  create: boolean,
): SimAddress | undefined {
  const network = listedNetwork(catalogue, code, chain);
  if (create) {
    if (!network.depositEnabled) throw new SimError('bad_request', `deposits of ${code} on ${chain} are suspended`);
    return account.createAddress(code, network.network, network.tagRequired);
  }
  return account.findAddress(code, network.network);
}

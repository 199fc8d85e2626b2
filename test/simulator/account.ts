import { createHash } from 'node:crypto';
import { makeAddress, makeTag } from './addresses.js';
import { defaultCurrencies } from './currencies.js';
import { canonicalChain } from './networks.js';
import type { SimAccountInit, SimCurrency, SimPermissions } from './types.js';

/** A deposit address that exists on the simulated exchange for one account. */
export interface SimAddress {
  currency: string;
  /** Canonical chain code (ERC20, TRC20, BTC, …), see `canonicalChain`. */
  network: string;
  address: string;
  tag?: string;
  /** True when an API call created it (as opposed to being seeded by the test). */
  created: boolean;
}

const DEFAULT_PERMISSIONS: SimPermissions = { read: true, trade: true, withdraw: false };

/** Seeded balances so fetchBalance answers something non-trivial. */
const DEFAULT_BALANCES: Readonly<Record<string, number>> = { BTC: 0.5, ETH: 2, USDT: 1000 };

/**
 * One API key on one simulated exchange with its currencies and deposit addresses. Tests read
 * `addresses` to tell whether the service fetched an existing address or created a new one.
 */
export class SimAccount {
  readonly apiKey: string;
  readonly secret: string;
  readonly passphrase: string | undefined;
  readonly permissions: SimPermissions;
  readonly uid: number;
  readonly currencies: readonly SimCurrency[];
  readonly addresses: SimAddress[] = [];
  readonly balances: Record<string, number>;
  private created = 0;

  constructor(init: SimAccountInit) {
    this.apiKey = init.apiKey;
    this.secret = init.secret;
    this.passphrase = init.passphrase;
    this.permissions = { ...(init.permissions ?? DEFAULT_PERMISSIONS) };
    this.uid = init.uid ?? createHash('sha256').update(init.apiKey).digest().readUInt32BE(0);
    this.currencies = init.currencies ?? defaultCurrencies(init.apiKey);
    this.balances = { ...DEFAULT_BALANCES };
    for (const currency of this.currencies) {
      for (const net of currency.networks) {
        if (net.address === undefined) continue;
        this.addresses.push({
          currency: currency.code,
          network: canonicalChain(net.network),
          address: net.address,
          ...(net.tag === undefined ? {} : { tag: net.tag }),
          created: false,
        });
      }
    }
  }

  /** The current (latest) address for a currency on a chain, if any. */
  findAddress(code: string, network: string): SimAddress | undefined {
    const chain = canonicalChain(network);
    for (let i = this.addresses.length - 1; i >= 0; i--) {
      const entry = this.addresses[i];
      if (entry !== undefined && entry.currency === code && entry.network === chain) return entry;
    }
    return undefined;
  }

  /** Every current address of a currency, one per chain, in the currency's chain order. */
  addressesOf(code: string): SimAddress[] {
    const currency = this.currencies.find((c) => c.code === code);
    const out: SimAddress[] = [];
    for (const net of currency?.networks ?? []) {
      const found = this.findAddress(code, net.network);
      if (found !== undefined) out.push(found);
    }
    return out;
  }

  /**
   * Makes a new address, as a real "new address" call does each time it is called: tests assert
   * on `addresses` to prove the service creates only when none exists. Tag chains share one
   * address and differ by tag.
   */
  createAddress(code: string, network: string, tagRequired: boolean): SimAddress {
    this.created += 1;
    const seed = `${this.apiKey}|${code}|created|${this.created}`;
    const entry: SimAddress = {
      currency: code,
      network: canonicalChain(network),
      address: makeAddress(network, tagRequired ? 'exchange-hot-wallet' : seed),
      ...(tagRequired ? { tag: makeTag(seed) } : {}),
      created: true,
    };
    this.addresses.push(entry);
    return entry;
  }
}

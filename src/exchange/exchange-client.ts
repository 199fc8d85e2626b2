/** What the service can do with deposit addresses and keys on an exchange. */
export interface ExchangeCapabilities {
  readonly fetchDepositAddress: boolean;
  readonly createDepositAddress: boolean;
  readonly fetchDepositAddressesByNetwork: boolean;
  readonly fetchKeyPermissions: boolean;
}

/** An exchange API key in clear: only ever in memory, on its way to the cipher or an exchange. */
export interface Credentials {
  readonly apiKey: string;
  readonly apiSecret: string;
  readonly passphrase?: string;
}

/** What the client cache needs of an exchange account: who it is and what its stored credentials are. */
export interface ClientAccount {
  readonly id: string;
  readonly userId: string;
  readonly exchangeId: string;
  readonly sandboxMode: boolean;
  readonly apiKeyEncrypted: string;
  readonly apiSecretEncrypted: string;
  readonly apiPassphraseEncrypted?: string | null;
}

/** One chain a currency moves on, as the exchange lists it. */
export interface NetworkInfo {
  /** Our canonical code ("TRC20"): what addresses store. */
  readonly network: string;
  /** The exchange's own id for the chain. */
  readonly exchangeNetworkId: string;
  /** The code CCXT takes for this chain on this exchange. */
  readonly ccxtNetwork?: string;
  /** Kraken: the deposit method naming the chain. */
  readonly depositMethod?: string;
  readonly depositEnabled: boolean;
  readonly tagRequired: boolean;
}

/** A currency of an exchange with its deposit networks. */
export interface CurrencyInfo {
  readonly code: string;
  readonly name: string;
  readonly depositEnabled: boolean;
  readonly networks: readonly NetworkInfo[];
}

/** A deposit address as the exchange reported it, network made explicit. */
export interface ExchangeAddress {
  readonly currency: string;
  readonly network: string;
  readonly address: string;
  readonly tag?: string;
  /** The exchange's raw answer, kept as exchange_metadata. */
  readonly raw: Record<string, unknown>;
}

/**
 * What the exchange tells of an API key. `reported` false: the flags are
 * unknown, never "safe" — the exchange tells none (Coinbase Exchange), or its
 * answer did not have the documented shape (`unreadable` says how).
 */
export interface KeyPermissionsInfo {
  readonly read: boolean;
  readonly trade: boolean;
  readonly withdraw: boolean;
  readonly reported: boolean;
  /** Whether the key only works from `ipAllowlist`; undefined when the exchange does not tell. */
  readonly ipRestricted?: boolean;
  readonly ipAllowlist: readonly string[];
  /** When the key stops working, where the exchange tells. */
  readonly expiresAt?: Date;
  /** Why an exchange that reports permissions could not be read. */
  readonly unreadable?: string;
}

/**
 * One exchange account's view of its exchange, with CCXT kept behind it.
 * Every call is rate limited, retried when that can help, and fails only
 * with domain errors carrying PRODUCT.md reasons.
 */
export interface ExchangeClient {
  readonly exchangeId: string;
  readonly capabilities: ExchangeCapabilities;
  /** A cheap private call: the key works, how fast, and what it may do. */
  testConnection(): Promise<{ latencyMs: number; permissions: KeyPermissionsInfo }>;
  /**
   * Every currency of the exchange; networks the exchange only tells per
   * currency (Kraken) may be missing. `fresh`: not older than the market TTL.
   */
  currencies(options?: { fresh?: boolean }): Promise<CurrencyInfo[]>;
  /** One currency with all its networks, or undefined when the exchange does not list it. */
  currency(code: string): Promise<CurrencyInfo | undefined>;
  /** The current addresses of some networks of a currency; null where the exchange has none yet. */
  fetchAddresses(currency: CurrencyInfo, networks: readonly NetworkInfo[]): Promise<Map<string, ExchangeAddress | null>>;
  /** Makes the exchange create an address (only where capabilities.createDepositAddress). */
  createAddress(currency: CurrencyInfo, network: NetworkInfo): Promise<ExchangeAddress>;
}

/** The exchange simulator's public surface for tests, benchmarks and `npm run sim`. */
export { startSimulator } from './simulator.js';
export type { Simulator, SimulatorOptions } from './simulator.js';
export { SimExchange } from './sim-exchange.js';
export { SimAccount } from './account.js';
export type { SimAddress } from './account.js';
export { makeCredentials } from './credentials.js';
export type { SimCredentials } from './credentials.js';
export { breakChecksum, encodeAddress, makeAddress, makeTag } from './addresses.js';
export { defaultCurrencies, generateCurrencies } from './currencies.js';
export { canonicalChain, nativeChainId, unifiedNetwork } from './networks.js';
export { CCXT_IDS, EXCHANGE_IDS } from './types.js';
export type {
  ExchangeId,
  FaultKind,
  FaultSpec,
  RateLimitSpec,
  RequestLogEntry,
  SimAccountInit,
  SimCurrency,
  SimNetwork,
  SimPermissions,
} from './types.js';

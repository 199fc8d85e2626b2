import { binance } from './binance.js';
import { bitfinex } from './bitfinex.js';
import { bybit } from './bybit.js';
import { coinbase } from './coinbase.js';
import { huobi } from './huobi.js';
import { kraken } from './kraken.js';
import { kucoin } from './kucoin.js';
import { okx } from './okx.js';
import type { Dialect } from './dialect.js';
import type { ExchangeId } from './types.js';

/** The dialect each simulated exchange speaks. */
export const DIALECTS: Readonly<Record<ExchangeId, Dialect>> = {
  binance,
  coinbase,
  kraken,
  bitfinex,
  huobi,
  kucoin,
  bybit,
  okx,
};

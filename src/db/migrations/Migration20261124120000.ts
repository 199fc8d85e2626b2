import { Migration } from '@mikro-orm/migrations';

/** The catalogue of the eight supported exchanges (PRODUCT.md). Rate limits are the per-key request budgets the service keeps to. */
const EXCHANGES = [
  ['binance', 'Binance', 'binance', false, true, 1200, 'https://www.binance.com', 'https://developers.binance.com/docs/binance-spot-api-docs'],
  ['coinbase', 'Coinbase Exchange', 'coinbaseexchange', true, true, 900, 'https://exchange.coinbase.com', 'https://docs.cdp.coinbase.com/exchange/docs/welcome'],
  ['kraken', 'Kraken', 'kraken', false, false, 30, 'https://www.kraken.com', 'https://docs.kraken.com/api/'],
  ['bitfinex', 'Bitfinex', 'bitfinex', false, false, 90, 'https://www.bitfinex.com', 'https://docs.bitfinex.com/docs'],
  ['huobi', 'HTX (Huobi)', 'htx', false, false, 600, 'https://www.htx.com', 'https://www.htx.com/en-us/opend/newApiPages/'],
  ['kucoin', 'KuCoin', 'kucoin', true, false, 600, 'https://www.kucoin.com', 'https://www.kucoin.com/docs-new'],
  ['bybit', 'Bybit', 'bybit', false, true, 300, 'https://www.bybit.com', 'https://bybit-exchange.github.io/docs/v5/intro'],
  ['okx', 'OKX', 'okx', true, true, 360, 'https://www.okx.com', 'https://www.okx.com/docs-v5/en/'],
] as const;

export class Migration20261124120000 extends Migration {

  override async up(): Promise<void> {
    const rows = EXCHANGES.map(([id, name, ccxtId, passphrase, sandbox, rateLimit, website, docs]) => ({
      id,
      name,
      ccxt_id: ccxtId,
      requires_passphrase: passphrase,
      sandbox_available: sandbox,
      rate_limit_per_minute: rateLimit,
      website_url: website,
      api_doc_url: docs,
    }));
    this.addSql(this.getKnex().insert(rows).into('supported_exchanges'));
  }

  override async down(): Promise<void> {
    this.addSql(this.getKnex().delete().from('supported_exchanges').whereIn('id', EXCHANGES.map((e) => e[0])));
  }

}

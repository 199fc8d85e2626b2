import type { Exchange } from "ccxt";
import { describe, expect, it } from "vitest";
import { MarketCache } from "./market-cache.js";

/** A CCXT-like client that counts its market loads and applications; setMarkets makes new objects, as CCXT's does. */
function client() {
  const counts = { loads: 0, sets: 0 };
  const ex = {
    markets: undefined as unknown,
    currencies: {},
    options: {},
    async loadMarkets() {
      counts.loads++;
      ex.markets = { "BTC/USDT": { id: "BTCUSDT" } };
      ex.currencies = { BTC: { code: "BTC" } };
    },
    setMarkets(markets: Record<string, unknown>) {
      counts.sets++;
      ex.markets = { ...markets };
    },
  };
  return { ex: ex as unknown as Exchange, counts };
}

describe("MarketCache", () => {
  it("loads once for every client of an exchange and gives each client the markets once, not on every call", async () => {
    const cache = new MarketCache();
    const [a, b] = [client(), client()];
    for (let i = 0; i < 5; i++) {
      await cache.apply("okx:live", a.ex);
      await cache.apply("okx:live", b.ex);
    }
    expect(a.counts.loads + b.counts.loads).toBe(1);
    expect(b.counts.sets).toBe(1);
    expect(a.counts.sets).toBeLessThanOrEqual(1);
    expect(b.ex.markets).toEqual({ "BTC/USDT": { id: "BTCUSDT" } });
  });
});

import ccxt from "ccxt";
import { describe, expect, it } from "vitest";
import { ccxtErrors, exchangeClass } from "./ccxt-modules.js";

describe("CCXT loaded by the piece", () => {
  it("gives the very classes of CCXT's entry point, so instanceof holds across both", async () => {
    expect(await exchangeClass("binance")).toBe(ccxt.binance);
    expect(await exchangeClass("htx")).toBe(ccxt.htx);
    expect(ccxtErrors.NetworkError).toBe(ccxt.NetworkError);
    const kraken = new (await exchangeClass("kraken"))(); // no keys: CCXT refuses before any request
    expect(() => kraken.checkRequiredCredentials()).toThrow(ccxt.AuthenticationError);
  });

  it("refuses an exchange CCXT does not have, and anything that is not an exchange id", async () => {
    await expect(exchangeClass("nosuchexchange")).rejects.toThrow('ccxt has no exchange "nosuchexchange"');
    await expect(exchangeClass("base/errors")).rejects.toThrow('ccxt has no exchange "base/errors"');
    await expect(exchangeClass("../package")).rejects.toThrow('ccxt has no exchange "../package"');
  });
});

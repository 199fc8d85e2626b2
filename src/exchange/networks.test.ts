import { describe, expect, it } from "vitest";
import { canonicalNetwork, krakenMethodNetwork, needsTag } from "./networks.js";

describe("canonical networks", () => {
  it("gives one name per chain whatever CCXT called it", () => {
    expect(canonicalNetwork("ETH", "ETH")).toBe("ERC20");
    expect(canonicalNetwork("ERC20", "USDT")).toBe("ERC20");
    expect(canonicalNetwork("TRX", "USDT")).toBe("TRC20");
    expect(canonicalNetwork("BSC", "USDT")).toBe("BEP20");
    expect(canonicalNetwork("BRC20", "BTC")).toBe("BTC");
    expect(canonicalNetwork("USDTBEP20", "USDT")).toBe("BEP20");
    expect(canonicalNetwork("XRP", "XRP")).toBe("XRP");
    expect(canonicalNetwork("SOLANA", "SOL")).toBe("SOL");
  });

  it("reads Kraken deposit method names", () => {
    expect(krakenMethodNetwork("Tether USD (TRC20)", "USDT")).toBe("TRC20");
    expect(krakenMethodNetwork("USDT (BEP20)", "USDT")).toBe("BEP20");
    expect(krakenMethodNetwork("Ether (Hex)", "ETH")).toBe("ERC20");
    expect(krakenMethodNetwork("Bitcoin", "BTC")).toBe("BTC");
    expect(krakenMethodNetwork("Ripple XRP", "XRP")).toBe("XRP");
    expect(krakenMethodNetwork("Litecoin", "LTC")).toBe("LTC");
  });

  it("knows the tag chains and honours an exchange's own flag", () => {
    expect(needsTag("XRP")).toBe(true);
    expect(needsTag("ERC20")).toBe(false);
    expect(needsTag("ERC20", true)).toBe(true);
  });
});
